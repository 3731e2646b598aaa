import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, ok, rawId, topics } from './helpers/fixtures.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { wsClient, type Subscription, type WsClient } from './helpers/ws.ts';

// Durable feeds read each live event's rows once for all its subscribers and
// apply each viewer's rule in JS: a new comment costs the same number of SQL
// statements whether 1 or 24 sockets follow the post, and every viewer still
// gets exactly what the policy lets them see.
const COMMENT_ADDED = `subscription ($postId: ID!, $after: String) {
  commentAdded(postId: $postId, after: $after) { cursor comment { id body author { username } } }
}`;
const MESSAGE_EVENTS = `subscription ($id: ID!) { messageEvents(conversationId: $id) { kind message { body sender { username } } } }`;
const HIDE_POST = 'mutation ($id: ID!) { hidePost(input: { id: $id }) { post { isHidden } } }';
const HIDE_COMMENT = 'mutation ($id: ID!) { hideComment(input: { id: $id }) { comment { isHidden } } }';
const REMOVE_MEMBER = `mutation ($input: RemoveConversationMemberInput!) {
  removeConversationMember(input: $input) { conversation { id } }
}`;

async function promote(server: TestServer, user: TestUser, role: 'MODERATOR' | 'ADMIN'): Promise<void> {
  await server.db.user.update({ where: { id: rawId(user.id) }, data: { role } });
}

describe('durable feeds share each event’s reads among its subscribers', () => {
  let server: TestServer;
  let author: TestUser;
  let moderator: TestUser;
  let admin: TestUser;
  let readers: TestUser[];
  const sockets: WsClient[] = [];

  beforeAll(async () => {
    // No outbox poll during the test: what a comment costs is all that runs.
    server = await startTestServer({ OUTBOX_POLL_MS: '60000' });
    const users = await fixtures(server).users('author', 'mod', 'admin', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8');
    [author, moderator, admin] = [users[0]!, users[1]!, users[2]!];
    readers = users.slice(3);
    await promote(server, moderator, 'MODERATOR');
    await promote(server, admin, 'ADMIN');
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await server.stop();
  });

  function subscribe(viewer: TestUser, query: string, variables: Record<string, unknown>): Subscription {
    const socket = wsClient(server.url, viewer.token);
    sockets.push(socket);
    return socket.subscribe(query, variables);
  }

  /** SQL statements the server has sent so far (all of them, subscription events included). */
  async function statementsSoFar(): Promise<number> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('agora_db_statements_total '));
    if (!line) throw new Error('agora_db_statements_total missing from /metrics');
    return Number(line.slice('agora_db_statements_total '.length));
  }

  /** Statements spent by one new comment until every subscription has it. */
  async function costOfComment(postId: string, subs: Subscription[], body: string): Promise<number> {
    const before = await statementsSoFar();
    const comment = await fixtures(server).comment(readers[0]!, postId, body);
    const received = await Promise.all(subs.map((s) => s.next()));
    for (const r of received)
      expect(r.data?.commentAdded.comment).toEqual({ id: comment.id, body, author: { username: readers[0]!.username } });
    return (await statementsSoFar()) - before;
  }

  it('costs a constant number of statements per comment, not one or two per subscriber', async () => {
    const make = fixtures(server);
    const lonePost = (await make.post(author)).id;
    const busyPost = (await make.post(author)).id;
    const lone = [subscribe(readers[0]!, COMMENT_ADDED, { postId: lonePost })];
    // 8 viewers with 3 sockets each.
    const busy = readers.flatMap((r) => [0, 1, 2].map(() => subscribe(r, COMMENT_ADDED, { postId: busyPost })));
    await server.whenSubscribed(topics.post(lonePost), 1);
    await server.whenSubscribed(topics.post(busyPost), busy.length);

    const one = await costOfComment(lonePost, lone, 'first');
    const many = await costOfComment(busyPost, busy, 'second');
    const again = await costOfComment(busyPost, busy, 'third');
    // The same up to one statement: the dispatcher sends its advisory unlock
    // after publishing, which may land on either side of the last scrape.
    // (Reading per subscriber, 24 subscribers cost 46 more than one.)
    for (const cost of [many, again]) expect(Math.abs(cost - one)).toBeLessThanOrEqual(1);
    expect(one).toBeLessThan(15);
  });

  it('applies each viewer’s rule to the shared rows: a hidden post stops ordinary subscribers only', async () => {
    const make = fixtures(server);
    const postId = (await make.post(author)).id;
    const [reader, asAuthor, asModerator, asAdmin] = [readers[1]!, author, moderator, admin].map((v) =>
      subscribe(v, COMMENT_ADDED, { postId }),
    );
    await server.whenSubscribed(topics.post(postId), 4);
    await make.comment(readers[2]!, postId, 'seen by all');
    for (const s of [reader!, asAuthor!, asModerator!, asAdmin!])
      expect((await s.next()).data?.commentAdded.comment.body).toBe('seen by all');

    expect(ok(await server.gql(HIDE_POST, { id: postId }, moderator.token)).hidePost.post.isHidden).toBe(true);
    // The author still sees (and may comment on) their hidden post.
    await make.comment(author, postId, 'after hiding');
    await reader!.ended();
    expect(reader!.pending).toEqual([]);
    for (const s of [asAuthor!, asModerator!, asAdmin!]) expect((await s.next()).data?.commentAdded.comment.body).toBe('after hiding');
  });

  it('replays a comment hidden since only to its author, moderators and admins', async () => {
    const make = fixtures(server);
    const postId = (await make.post(author)).id;
    const watcher = subscribe(readers[3]!, COMMENT_ADDED, { postId });
    await server.whenSubscribed(topics.post(postId), 1);
    const first = await make.comment(readers[4]!, postId, 'before');
    const cursor = (await watcher.next()).data!.commentAdded.cursor as string;
    const hidden = await make.comment(readers[5]!, postId, 'to be hidden');
    expect((await watcher.next()).data?.commentAdded.comment.id).toBe(hidden.id);
    expect(ok(await server.gql(HIDE_COMMENT, { id: hidden.id }, moderator.token)).hideComment.comment.isHidden).toBe(true);
    const last = await make.comment(readers[4]!, postId, 'after');
    expect(first.id).not.toBe(last.id);

    const seenBy = async (viewer: TestUser): Promise<string[]> => {
      const sub = subscribe(viewer, COMMENT_ADDED, { postId, after: cursor });
      const ids: string[] = [];
      for (;;) {
        const id = (await sub.next()).data!.commentAdded.comment.id as string;
        ids.push(id);
        if (id === last.id) return ids;
      }
    };
    expect(await seenBy(readers[6]!)).toEqual([last.id]);
    expect(await seenBy(readers[5]!)).toEqual([hidden.id, last.id]);
    expect(await seenBy(moderator)).toEqual([hidden.id, last.id]);
    expect(await seenBy(admin)).toEqual([hidden.id, last.id]);
  });

  it('messageEvents: a message costs the same statements for 1 or 8 member subscribers', async () => {
    const make = fixtures(server);
    const [owner, ...members] = readers as [TestUser, ...TestUser[]];
    const small = await make.conversation(owner, [members[0]!]);
    const large = await make.conversation(owner, members);
    // Only fields of the message row: nothing is loaded per viewer when the event resolves.
    const BODIES = `subscription ($id: ID!) { messageEvents(conversationId: $id) { kind message { body } } }`;
    const lone = [subscribe(owner, BODIES, { id: small })];
    const all = readers.map((r) => subscribe(r, BODIES, { id: large }));
    await server.whenSubscribed(topics.conversation(small), 1);
    await server.whenSubscribed(topics.conversation(large), all.length);
    const costOfMessage = async (id: string, subs: Subscription[], body: string): Promise<number> => {
      const before = await statementsSoFar();
      await make.message(owner, id, body);
      for (const r of await Promise.all(subs.map((s) => s.next())))
        expect(r.data?.messageEvents).toEqual({ kind: 'CREATED', message: { body } });
      return (await statementsSoFar()) - before;
    };
    const one = await costOfMessage(small, lone, 'to one');
    const eight = await costOfMessage(large, all, 'to eight');
    // Up to the dispatcher's unlock (see above); per subscriber it was a membership read each.
    expect(Math.abs(eight - one)).toBeLessThanOrEqual(1);
  });

  it('messageEvents: one member list per event; a removed member stops, the others go on', async () => {
    const make = fixtures(server);
    const [owner, stays, leaves] = [readers[0]!, readers[1]!, readers[2]!];
    const id = await make.conversation(owner, [stays, leaves]);
    const [ownerSub, staysSub, leavesSub] = [owner, stays, leaves].map((u) => subscribe(u, MESSAGE_EVENTS, { id }));
    await server.whenSubscribed(topics.conversation(id), 3);
    await make.message(owner, id, 'hello all');
    for (const s of [ownerSub!, staysSub!, leavesSub!]) {
      expect((await s.next()).data?.messageEvents).toEqual({
        kind: 'CREATED',
        message: { body: 'hello all', sender: { username: owner.username } },
      });
    }
    ok(await server.gql(REMOVE_MEMBER, { input: { conversationId: id, userId: leaves.id } }, owner.token));
    await make.message(stays, id, 'without you');
    await leavesSub!.ended();
    expect(leavesSub!.pending).toEqual([]);
    for (const s of [ownerSub!, staysSub!]) {
      expect((await s.next()).data?.messageEvents).toEqual({
        kind: 'CREATED',
        message: { body: 'without you', sender: { username: stays.username } },
      });
    }
  });
});
