/**
 * An object whose properties are built on first read, then kept. Per-request
 * loaders and services use it: an operation needs a few of them, and a
 * subscription renews them for every event it delivers.
 */
export function lazyObject<F extends Record<string, () => unknown>>(factories: F): { readonly [K in keyof F]: ReturnType<F[K]> } {
  const target: Record<string, unknown> = {};
  for (const [key, make] of Object.entries(factories)) {
    Object.defineProperty(target, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = make();
        Object.defineProperty(target, key, { value, enumerable: true });
        return value;
      },
    });
  }
  return target as { readonly [K in keyof F]: ReturnType<F[K]> };
}
