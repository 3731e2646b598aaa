import { accountAnonymousQueryFields, accountRoleScopedFields } from './accounts/policy.ts';
import { postAnonymousQueryFields, postRoleScopedFields } from './posts/policy.ts';

type FieldLists = Readonly<Record<string, readonly string[]>>;

/**
 * Every field, by type, whose value depends on the viewer's role and
 * credential kind at most, never on who the viewer is (each module lists
 * its own in its policy.ts). A field missing here counts as per viewer.
 */
export const roleScopedFields: ReadonlyMap<string, ReadonlySet<string>> = merge([postRoleScopedFields, accountRoleScopedFields]);

/**
 * Every field whose value is the same for every signed-out viewer: the
 * role-scoped ones, the Query fields the modules list for signed-out viewers,
 * and `node` (it hands each type to that type's own by-id rule). Without
 * Comment: whether a comment is visible also reads its post's state, which
 * a post's invalidation would not reach through a cached comment.
 */
export const anonymousSharedFields: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const byType = merge([
    postRoleScopedFields,
    accountRoleScopedFields,
    postAnonymousQueryFields,
    accountAnonymousQueryFields,
    { Query: ['node'] },
  ]);
  byType.delete('Comment');
  return byType;
})();

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
