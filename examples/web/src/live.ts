import { CombinedGraphQLErrors, type OperationVariables, type TypedDocumentNode } from '@apollo/client';
import { useApolloClient } from '@apollo/client/react';
import { useEffect, useRef } from 'react';

interface LiveOptions<TData> {
  /** The event's cursor: a resubscription passes the last one as `after` (durable subscriptions). */
  cursorOf?: (data: TData) => string | undefined;
  skip?: boolean;
}

const MAX_BACKOFF_MS = 15_000;

/**
 * A subscription that survives reconnects: when the socket drops (network,
 * server restart, 4401 while the token is refreshed), it subscribes again
 * after a short backoff, passing the last cursor seen as `after` so the
 * server replays exactly what was missed. GraphQL errors (NOT_FOUND, ...) are
 * final. `onEvent` is called for every event; it may change between renders.
 */
export function useLiveSubscription<TData, TVariables extends OperationVariables>(
  query: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  onEvent: (data: TData) => void,
  { cursorOf, skip = false }: LiveOptions<TData> = {},
): void {
  const client = useApolloClient();
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const cursorRef = useRef(cursorOf);
  cursorRef.current = cursorOf;
  const key = JSON.stringify(variables);

  useEffect(() => {
    if (skip) return;
    const base = JSON.parse(key) as TVariables;
    let cursor: string | undefined;
    let failures = 0;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let subscription: { unsubscribe(): void } | undefined;

    const retry = () => {
      subscription?.unsubscribe();
      if (stopped) return;
      const delay = Math.min(500 * 2 ** failures, MAX_BACKOFF_MS);
      failures += 1;
      timer = setTimeout(start, delay);
    };
    const start = () => {
      const vars = { ...base, ...(cursor ? { after: cursor } : {}) } as TVariables;
      subscription = client.subscribe({ query, variables: vars }).subscribe({
        next: (result) => {
          if (result.error) {
            if (CombinedGraphQLErrors.is(result.error)) console.warn('subscription failed', result.error.message);
            else retry();
            return;
          }
          if (!result.data) return;
          failures = 0;
          cursor = cursorRef.current?.(result.data) ?? cursor;
          handler.current(result.data);
        },
      });
    };
    start();
    return () => {
      stopped = true;
      clearTimeout(timer);
      subscription?.unsubscribe();
    };
  }, [client, query, key, skip]);
}
