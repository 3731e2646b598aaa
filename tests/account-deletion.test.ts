import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, send } from './helpers/chat.ts';
import { rawId } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer } from './helpers/server.ts';

// Deleting an account must leave no dangling references that would break
// other members' reads (every relation to users is a foreign key).
describe('deleting an account with chat and notifications', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('removes its messages, memberships and notifications; others read on without errors', async () => {
    const [owner, leaver, third] = await Promise.all([signUp(server, 'own'), signUp(server, 'leave'), signUp(server, 'third')]);
    const group = await createGroup(server, leaver, [owner, third], 'Doomed');
    await send(server, leaver, group, `hello @${owner.username}`);
    await send(server, owner, group, 'hi back');
    await server.gql('mutation ($id: ID!) { followUser(input: { userId: $id }) { user { id } } }', { id: owner.id }, leaver.token);

    const del = await server.gql(
      'mutation ($pw: String!) { deleteAccount(input: { password: $pw }) { deletedUserId } }',
      { pw: leaver.password },
      leaver.token,
    );
    expect(del.body.errors).toBeUndefined();
    const gone = rawId(leaver.id);
    expect(await server.db.message.count({ where: { senderId: gone } })).toBe(0);
    expect(await server.db.conversationMember.count({ where: { userId: gone } })).toBe(0);
    expect(await server.db.notification.count({ where: { OR: [{ recipientId: gone }, { actorId: gone }] } })).toBe(0);
    expect((await server.db.conversation.findUnique({ where: { id: rawId(group) } }))!.createdById).toBeNull();

    const read = await server.gql(
      `query ($id: ID!) {
        conversation(id: $id) { title messages(first: 10) { nodes { body sender { username } } } }
        notifications(first: 10) { nodes { kind actor { username } } }
      }`,
      { id: group },
      owner.token,
    );
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data!.conversation.messages.nodes).toEqual([{ body: 'hi back', sender: { username: owner.username } }]);
  });
});
