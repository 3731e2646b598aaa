import { accountRoleScopedFields } from './accounts/policy.ts';
import { postRoleScopedFields } from './posts/policy.ts';

type FieldLists = Readonly<Record<string, readonly string[]>>;

/**
 * Every field, by type, whose value depends on the viewer's role and
 * credential kind at most, never on who the viewer is (each module lists
 * its own in its policy.ts). A field missing here counts as per viewer.
 */
export const roleScopedFields: ReadonlyMap<string, ReadonlySet<string>> = merge([postRoleScopedFields, accountRoleScopedFields]);

function merge(lists: FieldLists[]): Map<string, Set<string>> {
  const byType = new Map<string, Set<string>>();
  for (const list of lists) {
    for (const [type, fields] of Object.entries(list)) {
      const set = byType.get(type) ?? new Set<string>();
      for (const field of fields) set.add(field);
      byType.set(type, set);
    }
  }
  return byType;
}
