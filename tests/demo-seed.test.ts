import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_LOGIN, seedDemoData } from '../src/db/seed.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createTestDatabase, startTestServer, type TestServer } from './helpers/server.ts';

// The embedded default seeds this on first start: a newcomer logs in as the
// demo user and finds chats, unread messages and notifications to explore.
describe('demo data', () => {
  let server: TestServer;
  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    server = await startTestServer({}, databaseUrl);
    await seedDemoData(server.db, createLogger('silent'));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('gives the demo user conversations with unread messages and notifications, and new messages continue each sequence', async () => {
    const login = await server.gql('mutation ($input: LogInInput!) { logIn(input: $input) { accessToken } }', {
      input: { login: DEMO_LOGIN.username, password: DEMO_LOGIN.password },
    });
    const token = login.body.data!.logIn.accessToken as string;
    const inbox = await server.gql(
      '{ conversations(first: 10) { nodes { id kind title unreadCount messages(last: 1) { nodes { seq } } } } unreadNotificationCount }',
      {},
      token,
    );
    expect(inbox.body.errors).toBeUndefined();
    const conversations = inbox.body.data!.conversations.nodes as {
      id: string;
      kind: string;
      unreadCount: number;
      messages: { nodes: { seq: number }[] };
    }[];
    expect(conversations.map((c) => c.kind).sort()).toEqual(['DIRECT', 'GROUP']);
    // The last three messages are unread, less any the demo user sent herself.
    for (const c of conversations) expect(c.unreadCount).toBeGreaterThan(0);
    expect(inbox.body.data!.unreadNotificationCount).toBeGreaterThanOrEqual(2);

    const group = conversations.find((c) => c.kind === 'GROUP')!;
    const last = group.messages.nodes[0]!.seq;
    const sent = await server.gql(
      'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { message { seq } } }',
      { input: { conversationId: group.id, body: 'Hello from the demo', idempotencyKey: 'demo-1' } },
      token,
    );
    expect(sent.body.errors).toBeUndefined();
    expect(sent.body.data!.sendMessage.message.seq).toBe(last + 1);
  });
});
