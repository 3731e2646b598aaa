import type { Post, ReactionKind, User } from '../../db/generated/client.ts';
import { badInput, notFound } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { Outbox } from '../../events/outbox.ts';
import type { RequestScope } from '../scope.ts';
import { notify, notifyReaction } from '../notifications/service.ts';
import type { PostService } from '../posts/service.ts';
import { canFollow, takesReactions } from './policy.ts';
import { requireViewer } from '../../auth/guards.ts';
import { parsePageArgs, type Connection, type PageArgs } from '../../lib/pagination.ts';
import { sorts } from '../../lib/sorts.ts';

interface SocialDeps {
  posts: PostService;
}

/** A post the viewer may see (else NOT_FOUND) that takes reactions. */
async function reactablePost({ posts }: SocialDeps, globalId: string): Promise<Post> {
  const post = await posts.visiblePost(globalId, 'input.postId');
  if (!takesReactions(post)) throw badInput('input.postId', 'Only published posts take reactions');
  return post;
}

async function followTarget(scope: RequestScope, globalId: string): Promise<{ me: User; target: User }> {
  const viewer = requireViewer(scope);
  const targetId = expectGlobalId(globalId, 'User', 'input.userId');
  if (!canFollow(viewer, targetId)) throw badInput('input.userId', 'You cannot follow yourself');
  const [me, target] = await Promise.all([scope.loaders.user.load(viewer.id), scope.loaders.user.load(targetId)]);
  if (!target) throw notFound('User', 'input.userId');
  if (!me) throw notFound('User', 'viewer');
  return { me, target };
}

async function addReaction(scope: RequestScope, deps: SocialDeps, input: { postId: string; kind: ReactionKind }): Promise<Post> {
  const me = requireViewer(scope);
  const post = await reactablePost(deps, input.postId);
  await scope.db.$transaction(async (tx) => {
    const outbox = new Outbox();
    const { count } = await tx.reaction.createMany({ data: [{ userId: me.id, postId: post.id, kind: input.kind }], skipDuplicates: true });
    if (count > 0) await notifyReaction(tx, outbox, { recipientId: post.authorId, actorId: me.id, postId: post.id });
    await outbox.flush(tx);
  });
  scope.realtime.kick();
  return post;
}

async function follow(scope: RequestScope, userId: string): Promise<{ user: User; viewer: User }> {
  const { me, target } = await followTarget(scope, userId);
  await scope.db.$transaction(async (tx) => {
    const outbox = new Outbox();
    const { count } = await tx.follow.createMany({ data: [{ followerId: me.id, followeeId: target.id }], skipDuplicates: true });
    if (count > 0) await notify(tx, outbox, { recipientId: target.id, kind: 'NEW_FOLLOWER', actorId: me.id });
    await outbox.flush(tx);
  });
  scope.realtime.kick();
  return { user: target, viewer: me };
}

/** Reactions and follows: idempotent toggles between a viewer and a target. */
export function createSocialService(scope: RequestScope, deps: SocialDeps) {
  const { db, loaders } = scope;
  return {
    /** `User.followers`, batched. */
    followers(userId: string, args: PageArgs): Promise<Connection<User>> {
      return loaders.followers.load({ parentId: userId, page: parsePageArgs(args, sorts.follows) });
    },

    /** `User.following`, batched. */
    following(userId: string, args: PageArgs): Promise<Connection<User>> {
      return loaders.following.load({ parentId: userId, page: parsePageArgs(args, sorts.follows) });
    },

    addReaction: (input: { postId: string; kind: ReactionKind }) => addReaction(scope, deps, input),

    async removeReaction(input: { postId: string; kind: ReactionKind }): Promise<Post> {
      const me = requireViewer(scope);
      const post = await reactablePost(deps, input.postId);
      await db.reaction.deleteMany({ where: { userId: me.id, postId: post.id, kind: input.kind } });
      return post;
    },

    follow: (userId: string) => follow(scope, userId),

    async unfollow(userId: string): Promise<{ user: User; viewer: User }> {
      const { me, target } = await followTarget(scope, userId);
      await db.follow.deleteMany({ where: { followerId: me.id, followeeId: target.id } });
      return { user: target, viewer: me };
    },
  };
}
