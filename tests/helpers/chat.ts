import type { TestServer, TestUser } from './server.ts';

/** GraphQL helpers for chat tests; each throws on errors. */
export async function ok<T = any>(server: TestServer, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const res = await server.gql(query, variables, token);
  if (res.body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(res.body.errors)}`);
  return res.body.data as T;
}

export async function createGroup(server: TestServer, owner: TestUser, members: TestUser[], title = 'Group'): Promise<string> {
  const data = await ok(
    server,
    `mutation ($input: CreateGroupConversationInput!) { createGroupConversation(input: $input) { conversation { id } } }`,
    { input: { title, memberIds: members.map((m) => m.id) } },
    owner.token,
  );
  return data.createGroupConversation.conversation.id;
}

let keyCounter = 0;
export async function send(server: TestServer, user: TestUser, conversationId: string, body: string, extra: Record<string, unknown> = {}) {
  keyCounter += 1;
  const data = await ok(
    server,
    `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { message { id seq body } } }`,
    { input: { conversationId, body, idempotencyKey: `k-${process.pid}-${keyCounter}-${Date.now()}`, ...extra } },
    user.token,
  );
  return data.sendMessage.message as { id: string; seq: number; body: string };
}

export const MESSAGE_EVENTS = `subscription ($conversationId: ID!, $after: String) {
  messageEvents(conversationId: $conversationId, after: $after) { cursor kind message { id seq body edited deleted sender { username } } }
}`;
