/**
 * A factory of objects whose properties are built on first read, then kept.
 * Per-request loaders and services use it: an operation needs a few of them,
 * and a subscription renews them for every event it delivers. The getters
 * live on a shared prototype, so an unused property costs nothing per object
 * (thousands of idle subscriptions each hold one).
 */
export function lazyFactory<D, F extends Record<string, (deps: D, self: never) => unknown>>(
  factories: F,
): (deps: D) => { readonly [K in keyof F]: ReturnType<F[K]> } {
  class Lazy {
    constructor(readonly deps: D) {}
  }
  for (const [key, make] of Object.entries(factories)) {
    Object.defineProperty(Lazy.prototype, key, {
      enumerable: true,
      get(this: Lazy) {
        const value = make(this.deps, this as never);
        Object.defineProperty(this, key, { value, enumerable: true });
        return value;
      },
    });
  }
  return (deps) => new Lazy(deps) as unknown as { readonly [K in keyof F]: ReturnType<F[K]> };
}
