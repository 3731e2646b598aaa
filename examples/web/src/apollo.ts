import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, ServerError } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition, relayStylePagination } from '@apollo/client/utilities';
import { Kind, OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import { from, switchMap } from 'rxjs';
import { auth } from './auth.ts';
import { API_URL, WS_URL } from './config.ts';

// Agora's WebSocket close codes (schema.graphql, "Close codes").
const TOKEN_EXPIRED = 4401;
const FORBIDDEN = 4403;

// Operations that must never trigger a refresh-and-retry.
const AUTH_OPERATIONS = new Set(['LogIn', 'RefreshSession']);

function isUnauthenticated(error: unknown): boolean {
  if (CombinedGraphQLErrors.is(error)) return error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
  return ServerError.is(error) && error.statusCode === 401;
}

/** The WebSocket, shared by every subscription (graphql-ws opens it lazily). */
function createWsClient() {
  let socket: WebSocket | null = null;
  const client = createClient({
    url: WS_URL,
    connectionParams: async () => {
      const token = await auth.accessToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    // Reconnects are left to the subscriptions themselves (useLiveSubscription):
    // they resume with `after: <last cursor>`, which a replay of the original
    // subscribe message could not.
    retryAttempts: 0,
    on: {
      connected: (ws) => {
        socket = ws as WebSocket;
      },
      closed: (event) => {
        socket = null;
        const code = (event as CloseEvent | undefined)?.code;
        // 4401: the token expired before an in-band re-auth; refresh, and the
        // subscriptions reconnect with the new one. 4403: credentials refused
        // or revoked (log out elsewhere, suspension): the session is over.
        if (code === TOKEN_EXPIRED) void auth.refresh();
        if (code === FORBIDDEN) auth.signOut('You were signed out: this session was ended on another device or by an administrator.');
      },
    },
  });
  // In-band re-authentication: a ping carrying the refreshed token keeps the
  // open socket (and its subscriptions) alive past the old token's expiry.
  auth.subscribe((session, reason) => {
    if (reason === 'refreshed' && session && socket?.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: 'ping', payload: { authorization: `Bearer ${session.accessToken}` } }));
    }
    if (reason === 'signed-out') client.terminate();
  });
  return client;
}

export function createApolloClient(): ApolloClient {
  const authorization = new SetContextLink(async ({ headers }, operation) => {
    const token = AUTH_OPERATIONS.has(operation.operationName ?? '') ? null : await auth.accessToken();
    return { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } };
  });
  // An UNAUTHENTICATED answer (the token expired or was revoked meanwhile):
  // refresh once, then retry once; a second failure goes to the caller.
  const retryAfterRefresh = new ErrorLink(({ error, operation, forward }) => {
    if (!isUnauthenticated(error) || AUTH_OPERATIONS.has(operation.operationName ?? '') || operation.getContext().retried) return;
    if (!auth.hasRefreshToken()) return;
    operation.setContext({ retried: true });
    return from(auth.refresh()).pipe(
      switchMap((token) => {
        operation.setContext(({ headers }: { headers?: Record<string, string> }) => ({
          headers: { ...headers, authorization: token ? `Bearer ${token}` : '' },
        }));
        return forward(operation);
      }),
    );
  });
  const http = ApolloLink.from([authorization, retryAfterRefresh, new HttpLink({ uri: API_URL })]);
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION;
    },
    new GraphQLWsLink(createWsClient()),
    http,
  );
  return new ApolloClient({
    link,
    cache: new InMemoryCache({
      typePolicies: {
        Query: {
          fields: {
            feed: relayStylePagination(),
            conversations: relayStylePagination(),
          },
        },
        Post: { fields: { comments: relayStylePagination() } },
        // Members have no id: a newer list replaces the older one.
        Conversation: { fields: { messages: relayStylePagination(), members: { merge: false } } },
      },
    }),
  });
}
