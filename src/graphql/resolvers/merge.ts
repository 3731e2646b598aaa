import type { Resolvers } from '../resolvers.generated.ts';

type ResolverMap = Record<string, unknown>;

const isFieldMap = (value: unknown): value is ResolverMap =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/**
 * Merges the modules' partial resolver maps: Query, Mutation, Subscription and
 * each type's fields are combined across modules. A field two modules both
 * resolve is a mistake, so it throws at startup rather than one silently winning.
 */
export function mergeResolvers(...parts: Resolvers[]): Resolvers {
  const merged: Record<string, unknown> = {};
  for (const part of parts) {
    for (const [typeName, value] of Object.entries(part)) {
      const existing = merged[typeName];
      if (existing === undefined) {
        merged[typeName] = isFieldMap(value) ? { ...value } : value;
        continue;
      }
      if (!isFieldMap(existing) || !isFieldMap(value)) throw new Error(`Resolvers for ${typeName} are given twice`);
      for (const [field, resolver] of Object.entries(value)) {
        if (field in existing) throw new Error(`Resolver ${typeName}.${field} is given twice`);
        existing[field] = resolver;
      }
    }
  }
  return merged as Resolvers;
}
