import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, startTestServer, type TestServer } from './helpers/server.ts';
import { topics } from './helpers/fixtures.ts';
import { rawSocket } from './helpers/ws.ts';

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
    await server.whenSubscribed(topics.postPublished(a.id));
    s.send({ id: '1', type: 'complete' });
    s.send({ id: '2', type: 'subscribe', payload: { query: POST_PUBLISHED, variables: { id: b.id } } });
    await server.whenSubscribed(topics.postPublished(b.id));

    await server.gql(PUBLISH, { t: 'by first, after complete' }, a.token);
    await server.gql(PUBLISH, { t: 'by second' }, b.token);
    // Nothing for the completed one: the first message is the second subscription's event...
    expect(await s.receive()).toEqual({ id: '2', type: 'next', payload: { data: { postPublished: { title: 'by second' } } } });
    // ...and after a later event by the first author, the next is again the second's marker.
    await server.gql(PUBLISH, { t: 'by first, again' }, a.token);
    await server.gql(PUBLISH, { t: 'marker' }, b.token);
    expect(await s.receive()).toEqual({ id: '2', type: 'next', payload: { data: { postPublished: { title: 'marker' } } } });
    s.socket.close();
  });
});
