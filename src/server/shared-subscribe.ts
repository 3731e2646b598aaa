import { createSourceEventStream, print, type ExecutionArgs, type ExecutionResult } from 'graphql';

/**
 * A `subscribe` for graphql-ws that executes each event once per distinct
 * (document, variables, viewer) instead of once per subscriber.
 *
 * graphql-js maps every event of every subscription through `execute`, so an
 * event fanned out to 5,000 subscribers of the same query ran the same
 * selection 5,000 times. Subscribers that share the document, the variables
 * and the viewer get identical results (each event resolves under fresh
 * loaders anyway), so the first of them executes and the others reuse its
 * result. `execute` is the pipeline's compiled executor (graphql-js's
 * `createSourceEventStream` still starts the subscription, running the
 * field's `subscribe` and its checks). The bus hands one payload object to
 * every listener, which is what the cache is keyed on; it is dropped with
 * the payload.
 */
export function createSharedSubscribe(
  viewerKey: (contextValue: unknown) => string,
  execute: (args: ExecutionArgs) => ExecutionResult | Promise<ExecutionResult>,
) {
  const results = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

  return async function subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in (stream as object))) return stream as ExecutionResult;
    const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const key = `${viewerKey(args.contextValue)}\n${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? {})}\n${print(args.document)}`;

    const run = (event: unknown): Promise<ExecutionResult> => Promise.resolve(execute({ ...args, rootValue: event }));
    const executeShared = (event: unknown): Promise<ExecutionResult> => {
      if (typeof event !== 'object' || event === null) return run(event);
      let byKey = results.get(event);
      if (!byKey) results.set(event, (byKey = new Map()));
      let result = byKey.get(key);
      if (!result) byKey.set(key, (result = run(event)));
      return result;
    };

    let completed = false;
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        const step = await source.next();
        // An event that arrives after the client completed is not delivered.
        if (step.done || completed) return { value: undefined, done: true };
        return { value: await executeShared(step.value), done: false };
      },
      async return() {
        completed = true;
        // Ends the operation's bus subscriptions first: a source waiting on
        // an event would otherwise only finish when the next one arrives.
        (args.contextValue as { dispose?: () => void } | undefined)?.dispose?.();
        await source.return?.();
        return { value: undefined, done: true };
      },
      async throw(error: unknown) {
        if (source.throw) await source.throw(error);
        throw error;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  };
}
