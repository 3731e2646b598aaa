import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, startTestServer, type TestServer } from './helpers/server.ts';
import { rawSocket, sleep } from './helpers/ws.ts';

const POST_PUBLISHED = 'subscription ($id: ID!) { postPublished(authorId: $id) { title } }';
const PUBLISH = 'mutation ($t: String!) { createPost(input: { title: $t, body: "x", publish: true }) { post { id } } }';

// A completed subscription stops at once: no event after `complete`, and the
// next subscription on the same socket sees only its own topic.
describe('completing a subscription', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('delivers nothing for a completed subscription, even on a socket that subscribes again', async () => {
    const [a, b] = await Promise.all([signUp(server, 'first'), signUp(server, 'second')]);
    const s = await rawSocket(server.url);
    s.send({ type: 'connection_init', payload: {} });
    expect(await s.receive()).toEqual({ type: 'connection_ack' });

    s.send({ id: '1', type: 'subscribe', payload: { query: POST_PUBLISHED, variables: { id: a.id } } });
    await sleep(200);
    s.send({ id: '1', type: 'complete' });
    s.send({ id: '2', type: 'subscribe', payload: { query: POST_PUBLISHED, variables: { id: b.id } } });
    await sleep(200);

    await server.gql(PUBLISH, { t: 'by first, after complete' }, a.token);
    await server.gql(PUBLISH, { t: 'by second' }, b.token);
    expect(await s.receive()).toEqual({ id: '2', type: 'next', payload: { data: { postPublished: { title: 'by second' } } } });
    await sleep(300);
    expect(s.pending()).toEqual([]);
    s.socket.close();
  });
});
