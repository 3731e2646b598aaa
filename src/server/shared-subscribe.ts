import { createSourceEventStream, print, type ExecutionArgs, type ExecutionResult } from 'graphql';

/** How a subscriber is sent a `next` payload without graphql-ws (see below). */
export interface NextSender {
  /**
   * Sends `{"id":…,"type":"next","payload":<payloadJson>}` on the subscriber's
   * socket; a promise when the sender must wait for the write (backpressure).
   */
  sendNext?(payloadJson: string): Promise<void> | undefined;
}

export interface SharedSubscribeOptions {
  /** Subscribers with the same key get the same result for an event (src/server/visibility-class.ts). */
  shareKey: (args: ExecutionArgs) => string;
  /** What a subscriber is sent for an error-free result: the same object when nothing is added to it. */
  finish: (result: ExecutionResult, contextValue: unknown) => ExecutionResult;
  /** The subscriber's direct sender, if its transport has one. */
  senderOf: (contextValue: unknown) => NextSender | undefined;
  /**
   * Runs an event's selection: the pipeline's compiled executor (graphql-js's
   * `createSourceEventStream` still starts the subscription, running the
   * field's `subscribe` and its checks).
   */
  execute: (args: ExecutionArgs) => ExecutionResult | Promise<ExecutionResult>;
}

/**
 * A `subscribe` for graphql-ws whose cost per event scales with the distinct
 * results, not with the subscribers.
 *
 * - Execution: graphql-js maps every event of every subscription through
 *   `execute`. Subscribers that share the document, the variables and the
 *   share key (their viewer, or their visibility class when the document only
 *   selects role-scoped fields) get identical results (each event resolves
 *   under fresh loaders anyway), so the first of them executes and the others
 *   reuse its result. The bus hands one payload object to every listener,
 *   which is what the cache is keyed on; it is dropped with the payload.
 * - Serialization: a shared result is turned into JSON once; each subscriber's
 *   message is its own id spliced around those bytes, written straight to its
 *   socket (graphql-ws would stringify the whole message per subscriber). A
 *   write the kernel did not take at once is awaited before the next event is
 *   pulled, as graphql-ws awaits every write, so a slow socket still backs up
 *   into its bounded event queue. Results with errors go through graphql-ws's
 *   `onNext` as before.
 */
export function createSharedSubscribe(options: SharedSubscribeOptions) {
  const { execute } = options;
  const results = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
  const serialized = new WeakMap<ExecutionResult, string>();
  const jsonOf = (result: ExecutionResult): string => {
    let json = serialized.get(result);
    if (json === undefined) serialized.set(result, (json = JSON.stringify(result)));
    return json;
  };

  return async function subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in (stream as object))) return stream as ExecutionResult;
    const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const key = `${options.shareKey(args)}\n${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? {})}\n${print(args.document)}`;

    const run = (event: unknown): Promise<ExecutionResult> => Promise.resolve(execute({ ...args, rootValue: event }));
    const executeShared = (event: unknown): Promise<ExecutionResult> => {
      if (typeof event !== 'object' || event === null) return run(event);
      let byKey = results.get(event);
      if (!byKey) results.set(event, (byKey = new Map()));
      let result = byKey.get(key);
      if (!result) byKey.set(key, (result = run(event)));
      return result;
    };
    const sender = options.senderOf(args.contextValue);
    /** Sends the result itself (a promise when the write must be waited for); false leaves it to graphql-ws (errors to shape, or no direct sender). */
    const sendDirect = (result: ExecutionResult): Promise<void> | undefined | false => {
      if (result.errors || !sender?.sendNext) return false;
      const finished = options.finish(result, args.contextValue);
      return sender.sendNext(finished === result ? jsonOf(result) : JSON.stringify(finished));
    };

    return deliveries(source, args.contextValue, executeShared, sendDirect);
  };
}

/**
 * The iterator graphql-ws pulls: each event's shared result, sent directly
 * when possible (then the next event is pulled at once), else yielded.
 */
function deliveries(
  source: AsyncIterator<unknown>,
  contextValue: unknown,
  executeShared: (event: unknown) => Promise<ExecutionResult>,
  sendDirect: (result: ExecutionResult) => Promise<void> | undefined | false,
): AsyncIterableIterator<ExecutionResult> {
  let completed = false;
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      for (;;) {
        const step = await source.next();
        // An event that arrives after the client completed is not delivered.
        if (step.done || completed) return { value: undefined, done: true };
        const result = await executeShared(step.value);
        if (completed) return { value: undefined, done: true };
        const sent = sendDirect(result);
        if (sent === false) return { value: result, done: false };
        if (sent) await sent;
      }
    },
    async return() {
      completed = true;
      // Ends the operation's bus subscriptions first: a source waiting on
      // an event would otherwise only finish when the next one arrives.
      (contextValue as { dispose?: () => void } | undefined)?.dispose?.();
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
}
