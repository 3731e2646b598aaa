import { afterAll, describe, expect, it } from 'vitest';
import { send } from './helpers/chat.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { fixtures, topics } from './helpers/fixtures.ts';
import { rawSocket, serverCloses } from './helpers/ws.ts';

// Each event carries ~800 kB (the 4000-character body, 200 times), so a client
// that stops reading fills the kernel's socket buffers after a few events.
const BIG = `subscription ($id: ID!) { messageEvents(conversationId: $id) { cursor message { ${Array.from({ length: 200 }, (_, i) => `b${i}: body`).join(' ')} } } }`;
const BODY = 'x'.repeat(3_990);

async function stalledSubscriber(env: Record<string, string>, servers: TestServer[]) {
  // BIG amplifies each event with 200 aliases: allowed here on purpose.
  const server = await startTestServer({ GRAPHQL_MAX_ALIASES: '200', ...env });
  servers.push(server);
  const { alice, bob, id } = await fixtures(server).chat();
  const s = await rawSocket(server.url);
  s.send({ type: 'connection_init', payload: { authorization: `Bearer ${bob.token}` } });
  expect(await s.receive()).toEqual({ type: 'connection_ack' });
  s.send({ id: '1', type: 'subscribe', payload: { query: BIG, variables: { id } } });
  await server.whenSubscribed(topics.conversation(id));
  // The client stops reading from its TCP socket.
  (s.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
  return { server, alice, id, s };
}

describe('slow consumers are cut off with documented close codes', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  it('closes with 4293 when the socket send buffer overflows', async () => {
    const { server, alice, id, s } = await stalledSubscriber({ WS_MAX_BUFFERED_BYTES: '65536' }, servers);
    const cutOff = serverCloses(4293);
    for (let i = 0; i < 40; i++) await send(server, alice, id, `${BODY}${i}`);
    // The per-socket buffer check (every second) decides while the client is stalled.
    await cutOff;
    (s.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await s.closed).code).toBe(4293);
  });

  it('closes with 4292 when a subscription falls more than SUBSCRIPTION_QUEUE_LIMIT events behind', async () => {
    const { server, alice, id, s } = await stalledSubscriber(
      { SUBSCRIPTION_QUEUE_LIMIT: '5', WS_MAX_BUFFERED_BYTES: '1073741824' },
      servers,
    );
    for (let i = 0; i < 40; i++) await send(server, alice, id, `${BODY}${i}`);
    (s.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await s.closed).code).toBe(4292);
  });
});
