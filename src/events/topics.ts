/** Bus topic of `postPublished`: an author's posts as they are published (ephemeral, not in the outbox). */
export const postPublishedTopic = (authorId: string) => `postPublished:${authorId}`;
