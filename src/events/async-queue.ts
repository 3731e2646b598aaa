import { MAX_QUEUED_EVENTS, SubscriberOverflowError } from './event-bus.ts';

/** A bounded push-to-pull queue for merging several event sources into one subscription. */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private failed: Error | null = null;
  private done = false;

  constructor(private readonly max = MAX_QUEUED_EVENTS) {}

  push(item: T): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: item, done: false });
    } else if (this.items.length >= this.max) {
      this.fail(new SubscriberOverflowError());
    } else {
      this.items.push(item);
    }
  }

  fail(error: Error): void {
    if (this.done) return;
    this.failed = error;
    this.end();
  }

  end(): void {
    this.done = true;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.failed) return Promise.reject(this.failed);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
