import { CombinedGraphQLErrors, type OperationVariables, type TypedDocumentNode } from '@apollo/client';
import { useApolloClient } from '@apollo/client/react';
import { useEffect, useRef } from 'react';

interface LiveOptions<TData> {
  /** The event's cursor: a resubscription passes the last one as `after` (durable subscriptions). */
  cursorOf?: (data: TData) => string | undefined;
  /**
   * Called after subscribing again with no cursor to resume from (no event
   * seen yet, or the cursor is too old): reload what the subscription keeps
   * current, since events of the outage are not replayed.
   */
  onResync?: () => void;
  skip?: boolean;
}

const MAX_BACKOFF_MS = 15_000;

/**
 * A subscription that survives reconnects: when the socket drops (network,
 * server restart, 4401 while the token is refreshed), it subscribes again
 * after a short backoff, passing the last cursor seen as `after` so the
 * server replays exactly what was missed. GraphQL errors (NOT_FOUND, ...) are
 * final, except a cursor too old to resume from. `onEvent` is called for
 * every event; it and the options may change between renders.
 */
export function useLiveSubscription<TData, TVariables extends OperationVariables>(
  query: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  onEvent: (data: TData) => void,
  options: LiveOptions<TData> = {},
): void {
  const client = useApolloClient();
  const latest = useRef({ onEvent, options });
  latest.current = { onEvent, options };
  const key = JSON.stringify(variables);
  const skip = options.skip ?? false;

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
      timer = setTimeout(() => start(true), delay);
    };
    const fail = (error: unknown) => {
      const staleCursor = CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.code === 'BAD_USER_INPUT');
      if (!CombinedGraphQLErrors.is(error)) return retry();
      if (staleCursor && cursor) {
        cursor = undefined;
        return retry();
      }
      console.warn('subscription failed', error.message);
    };
    const start = (again: boolean) => {
      const vars = { ...base, ...(cursor ? { after: cursor } : {}) } as TVariables;
      subscription = client.subscribe({ query, variables: vars }).subscribe({
        next: (result) => {
          if (result.error) return fail(result.error);
          if (!result.data) return;
          failures = 0;
          cursor = latest.current.options.cursorOf?.(result.data) ?? cursor;
          latest.current.onEvent(result.data);
        },
      });
      if (again && !cursor) latest.current.options.onResync?.();
    };
    start(false);
    return () => {
      stopped = true;
      clearTimeout(timer);
      subscription?.unsubscribe();
    };
  }, [client, query, key, skip]);
}
