import { afterAll, describe, expect, it } from 'vitest';
import { send } from './helpers/chat.ts';
import { signUp, startTestServer, type TestServer } from './helpers/server.ts';
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

  // postPublished is pushed to its subscribers (src/server/shared-subscribe.ts):
  // a write the kernel did not take must still hold the next events back in
  // the bounded bus queue, in order, until the subscription is cut off.
  it('a stalled postPublished subscriber: events wait in its bounded queue, in order, then the subscription ends', async () => {
    const server = await startTestServer({
      GRAPHQL_MAX_ALIASES: '200',
      SUBSCRIPTION_QUEUE_LIMIT: '5',
      WS_MAX_BUFFERED_BYTES: '1073741824',
    });
    servers.push(server);
    const author = await signUp(server, 'bigposts');
    const s = await rawSocket(server.url);
    s.send({ type: 'connection_init', payload: {} });
    expect(await s.receive()).toEqual({ type: 'connection_ack' });
    const query = `subscription ($id: ID!) { postPublished(authorId: $id) { title ${Array.from({ length: 200 }, (_, i) => `b${i}: body`).join(' ')} } }`;
    s.send({ id: '1', type: 'subscribe', payload: { query, variables: { id: author.id } } });
    await server.whenSubscribed(topics.postPublished(author.id));
    const tcp = (s.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    const PUBLISH = 'mutation ($t: String!, $b: String!) { createPost(input: { title: $t, body: $b, publish: true }) { post { id } } }';
    for (let i = 0; i < 40; i++) await server.gql(PUBLISH, { t: `big ${i}`, b: `${BODY}${i}` }, author.token);
    tcp.resume();
    const titles: string[] = [];
    for (;;) {
      const message = await s.receive();
      if (message.type !== 'next') {
        // The overflow, shaped as an internal error.
        expect(message).toMatchObject({ id: '1', type: 'error' });
        break;
      }
      titles.push(message.payload.data.postPublished.title);
    }
    // Fewer than published (the rest overflowed the queue of 5), and those in order.
    expect(titles.length).toBeLessThan(40);
    expect(titles).toEqual(Array.from({ length: titles.length }, (_, i) => `big ${i}`));
    s.close();
  });
});
