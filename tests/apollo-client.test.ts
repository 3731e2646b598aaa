import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import { Kind, OperationTypeNode } from 'graphql';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { topics } from './helpers/fixtures.ts';
import { eventually } from './helpers/ws.ts';

/** What a browser app does: HTTP for queries and mutations, WebSocket for subscriptions. */
function apolloFor(server: TestServer, user: TestUser) {
  const wsClient = createClient({
    url: `${server.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${user.token}` },
  });
  const http = new HttpLink({ uri: `${server.url}/graphql`, headers: { authorization: `Bearer ${user.token}` } });
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION;
    },
    new GraphQLWsLink(wsClient),
    http,
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  return { client, close: () => wsClient.dispose() };
}

const MESSAGE_FIELDS = gql`
  fragment ChatMessage on Message { id seq body edited deleted sender { id username } }
`;
const CONVERSATION = gql`
  query Conversation($id: ID!) {
    conversation(id: $id) { id title unreadCount messages(last: 50) { edges { cursor node { ...ChatMessage } } } }
  }
  ${MESSAGE_FIELDS}
`;
const MESSAGE_EVENTS = gql`
  subscription MessageEvents($id: ID!, $after: String) {
    messageEvents(conversationId: $id, after: $after) { cursor kind message { ...ChatMessage } }
  }
  ${MESSAGE_FIELDS}
`;
const SEND = gql`
  mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { message { ...ChatMessage } } }
  ${MESSAGE_FIELDS}
`;

describe('end-to-end chat with Apollo Client (HttpLink + GraphQLWsLink)', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    server = await startTestServer();
    [alice, bob] = await Promise.all([signUp(server, 'alice'), signUp(server, 'bob')]);
  });
  afterAll(() => server.stop());

  it('one user sends, the other receives live and its normalized cache updates', async () => {
    const a = apolloFor(server, alice);
    const b = apolloFor(server, bob);
    try {
      const created = await a.client.mutate<any>({
        mutation: gql`mutation ($input: CreateGroupConversationInput!) { createGroupConversation(input: $input) { conversation { id } } }`,
        variables: { input: { title: 'Apollo', memberIds: [bob.id] } },
      });
      const id = created.data.createGroupConversation.conversation.id;

      // Bob renders the conversation and keeps it live from the subscription.
      const watched: string[][] = [];
      const watch = b.client.watchQuery<any>({ query: CONVERSATION, variables: { id } }).subscribe((result) => {
        if (result.data?.conversation) watched.push(result.data.conversation.messages.edges.map((e: any) => e.node.body));
      });
      await eventually(() => watched.length > 0);
      const live = b.client.subscribe<any>({ query: MESSAGE_EVENTS, variables: { id } }).subscribe((result) => {
        const event = result.data?.messageEvents;
        if (event?.kind !== 'CREATED') return;
        b.client.cache.updateQuery<any>({ query: CONVERSATION, variables: { id } }, (data) => {
          if (!data || data.conversation.messages.edges.some((e: any) => e.node.id === event.message.id)) return data;
          const edges = [...data.conversation.messages.edges, { __typename: 'MessageEdge', cursor: event.cursor, node: event.message }];
          return { ...data, conversation: { ...data.conversation, messages: { ...data.conversation.messages, edges } } };
        });
      });
      await server.whenSubscribed(topics.conversation(id));

      const sent = await a.client.mutate<any>({
        mutation: SEND,
        variables: { input: { conversationId: id, body: 'Hello Bob', idempotencyKey: 'apollo-1' } },
      });
      await a.client.mutate({ mutation: SEND, variables: { input: { conversationId: id, body: 'Second', idempotencyKey: 'apollo-2' } } });
      await eventually(() => watched.at(-1)?.join('|') === 'Hello Bob|Second');

      // Normalized: the message is one cache entry, found by its id.
      const cached = b.client.cache.readFragment<any>({
        id: b.client.cache.identify({ __typename: 'Message', id: sent.data.sendMessage.message.id }),
        fragment: MESSAGE_FIELDS,
      });
      expect(cached).toMatchObject({ body: 'Hello Bob', sender: { username: alice.username }, edited: false });

      // An edit arrives as an event carrying the same Message id: the cache entry updates in place.
      await a.client.mutate({
        mutation: gql`mutation ($input: EditMessageInput!) { editMessage(input: $input) { message { id } } }`,
        variables: { input: { messageId: sent.data.sendMessage.message.id, body: 'Hello Bob!' } },
      });
      await eventually(() => watched.at(-1)?.join('|') === 'Hello Bob!|Second');
      live.unsubscribe();
      watch.unsubscribe();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
