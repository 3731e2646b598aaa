import { afterAll, describe, expect, it } from 'vitest';
import { MESSAGE_EVENTS, send } from './helpers/chat.ts';
import { createTestDatabase, signUp, startTestServer, type TestServer } from './helpers/server.ts';
import { createPost, eventCursor, fixtures, rawId, streamOf, topics } from './helpers/fixtures.ts';
import { eventually, wsClient } from './helpers/ws.ts';

// Both incarnations of the instance must accept the same tokens.
const SHARED_SECRET = 'outbox-test-secret-0123456789abcdefghij';

describe('transactional outbox', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop().catch(() => {});
  });

  it('writes events in the same transaction as the data, and publishes them after commit', async () => {
    const server = await startTestServer();
    servers.push(server);
    const { alice, id } = await fixtures(server).chat();
    const message = await send(server, alice, id, 'hi');
    const events = await server.db.event.findMany({ where: { stream: streamOf.conversation(id) }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => [e.type, e.seq])).toEqual([['MESSAGE_CREATED', message.seq]]);
    await eventually(async () => (await server.db.event.count({ where: { publishedAt: null } })) === 0);
  });

  it('createComment writes the comment, its notification and their events together, or nothing', async () => {
    const server = await startTestServer();
    servers.push(server);
    const [author, commenter] = await Promise.all([signUp(server, 'author'), signUp(server, 'commenter')]);
    const post = await createPost(server, author, { publish: true });
    const stream = streamOf.post(post.id);
    const CREATE_COMMENT = `mutation ($input: CreateCommentInput!) { createComment(input: $input) { comment { id } } }`;

    // The post stream's next number is already taken (the only way to make
    // the event's INSERT fail): the comment and its notification are not written either.
    const lastSeq = (await server.db.eventStream.findUnique({ where: { stream } }))?.lastSeq ?? 0;
    const squatter = await server.db.event.create({
      data: { stream, seq: lastSeq + 1, type: 'SQUATTER', payload: {}, publishedAt: new Date() },
    });
    const refused = await server.gql(CREATE_COMMENT, { input: { postId: post.id, body: 'refused' } }, commenter.token);
    expect(refused.body.errors).toMatchObject([{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    expect(await server.db.comment.count({ where: { postId: post.raw } })).toBe(0);
    expect(await server.db.notification.count({ where: { postId: post.raw } })).toBe(0);
    expect((await server.db.eventStream.findUnique({ where: { stream } }))?.lastSeq ?? 0).toBe(lastSeq);
    await server.db.event.delete({ where: { id: squatter.id } });

    const created = await server.gql(CREATE_COMMENT, { input: { postId: post.id, body: 'written' } }, commenter.token);
    const commentId = rawId(created.body.data!.createComment.comment.id);
    const notification = await server.db.notification.findFirstOrThrow({ where: { commentId } });
    expect(notification).toMatchObject({ recipientId: rawId(author.id), kind: 'COMMENT_ON_POST', postId: post.raw });
    const events = await server.db.event.findMany({
      where: { OR: [{ stream }, { stream: streamOf.user(author.id) }] },
      orderBy: { id: 'asc' },
    });
    expect(events.map((e) => [e.stream, e.seq, e.type, e.payload])).toEqual([
      [stream, lastSeq + 1, 'COMMENT_ADDED', { commentId }],
      [streamOf.user(author.id), 1, 'NOTIFICATION', { notificationId: notification.id }],
    ]);
    await eventually(async () => (await server.db.event.count({ where: { publishedAt: null } })) === 0);
  });

  it('a crash between commit and publish loses nothing: after restart, a subscriber resuming by cursor gets the event exactly once', async () => {
    const databaseUrl = await createTestDatabase();
    // Instance A commits but never publishes (as if it died right after commit).
    const a = await startTestServer({ OUTBOX_DISPATCH: 'off', JWT_SECRET: SHARED_SECRET }, databaseUrl);
    servers.push(a);
    const { alice, bob, id } = await fixtures(a).chat();

    const first = wsClient(a.url, bob.token);
    first.subscribe(MESSAGE_EVENTS, { conversationId: id, after: null });
    await a.whenSubscribed(topics.conversation(id));
    // Nothing is published (the event stays pending), so nothing arrives.
    const sent = await send(a, alice, id, 'committed, never published');
    expect(await a.db.event.count({ where: { stream: streamOf.conversation(id), seq: sent.seq, publishedAt: null } })).toBe(1);
    await first.dispose();
    await a.stop();
    servers.pop();

    // Restart on the same database: pending events are published at start-up.
    const b = await startTestServer({ JWT_SECRET: SHARED_SECRET }, databaseUrl);
    servers.push(b);
    await eventually(async () => (await b.db.event.count({ where: { publishedAt: null } })) === 0);

    // The subscriber resumes from the cursor it had before the message (seq of creation, i.e. stream start).
    const cursor = eventCursor(SHARED_SECRET, streamOf.conversation(id), 0);
    const resumed = wsClient(b.url, bob.token);
    const again = resumed.subscribe(MESSAGE_EVENTS, { conversationId: id, after: cursor });
    const event = (await again.next()).data!.messageEvents;
    expect(event.message).toMatchObject({ id: sent.id, body: 'committed, never published' });
    // And live delivery continues after the replayed event, which came once:
    // the next result is the next message, then a marker proves no duplicate.
    await send(b, alice, id, 'next');
    expect((await again.next()).data!.messageEvents.message.body).toBe('next');
    await send(b, alice, id, 'marker');
    expect((await again.next()).data!.messageEvents.message.body).toBe('marker');
    await resumed.dispose();
  });

  it('a live subscriber repairs a gap from the table when a later event is published first', async () => {
    const server = await startTestServer();
    servers.push(server);
    const { alice, bob, id } = await fixtures(server).chat();
    const c = wsClient(server.url, bob.token);
    const sub = c.subscribe(MESSAGE_EVENTS, { conversationId: id });
    // Without `after`, the subscription starts at the stream head it reads
    // after subscribing to the bus: only once that read is done may we send.
    await server.whenSubscribed(topics.conversation(id));
    const uuid = rawId(id);
    const first = await send(server, alice, id, 'published normally');
    const delivered = (await sub.next()).data!.messageEvents.message;
    expect(delivered).toMatchObject({ id: first.id, seq: first.seq, body: 'published normally' });
    // Hold back the next event by marking it published without publishing it
    // (as if its publisher died after the mark), then send another.
    await server.db.$executeRawUnsafe(
      `INSERT INTO "Message" (id, "conversationId", seq, "senderId", body) SELECT gen_random_uuid(), $1::uuid, s."lastSeq" + 1, $2::uuid, 'inserted behind the bus' FROM "EventStream" s WHERE s.stream = $3`,
      uuid,
      rawId(alice.id),
      streamOf.conversation(id),
    );
    await server.db.$executeRawUnsafe(
      `WITH s AS (UPDATE "EventStream" SET "lastSeq" = "lastSeq" + 1 WHERE stream = $1 RETURNING "lastSeq")
       INSERT INTO "Event" (stream, seq, type, payload, "publishedAt")
       SELECT $1, s."lastSeq", 'MESSAGE_CREATED', jsonb_build_object('messageId', (SELECT id FROM "Message" WHERE "conversationId" = $2::uuid AND seq = s."lastSeq")), now() FROM s`,
      streamOf.conversation(id),
      uuid,
    );
    const after = await send(server, alice, id, 'after the gap');
    expect(after.seq).toBe(first.seq + 2);
    // Delivered: the held-back event, read from the table, then the live one.
    const repaired = (await sub.next()).data!.messageEvents.message;
    expect(repaired).toMatchObject({ seq: first.seq + 1, body: 'inserted behind the bus' });
    expect((await sub.next()).data!.messageEvents.message).toMatchObject({ id: after.id, seq: after.seq, body: 'after the gap' });
    await c.dispose();
  });

  it('refuses to resume from a cursor older than the retention', async () => {
    const server = await startTestServer();
    servers.push(server);
    const { alice, bob, id } = await fixtures(server).chat();
    const c = wsClient(server.url, bob.token);
    const sub = c.subscribe(MESSAGE_EVENTS, { conversationId: id });
    await server.whenSubscribed(topics.conversation(id));
    await send(server, alice, id, 'one');
    const cursor = (await sub.next()).data!.messageEvents.cursor;
    await send(server, alice, id, 'two');
    await send(server, alice, id, 'three');
    await eventually(async () => (await server.db.event.count({ where: { publishedAt: null } })) === 0);
    // What the retention does to old published events.
    const stream = streamOf.conversation(id);
    const two = await server.db.event.findFirstOrThrow({ where: { stream }, orderBy: { seq: 'asc' }, skip: 1 });
    await server.db.event.deleteMany({ where: { stream, seq: { lte: two.seq } } });
    const resumed = c.subscribe(MESSAGE_EVENTS, { conversationId: id, after: cursor });
    expect((await resumed.next()).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    await c.dispose();
  });
});
