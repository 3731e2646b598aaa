import type { Viewer } from '../auth/viewer.ts';
import { accountRoleScopedFields, accountSharedQueryFields } from './accounts/policy.ts';
import { postClassSharedFields, postRoleScopedFields, seesPostsAsClass } from './posts/policy.ts';
import { socialRoleScopedFields } from './social/policy.ts';

type FieldLists = Readonly<Record<string, readonly string[]>>;
type FieldSet = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * Every field, by type, whose value depends on the viewer's role and
 * credential kind at most, never on who the viewer is (each module lists
 * its own in its policy.ts). A field missing here counts as per viewer.
 */
export const roleScopedFields: FieldSet = merge([postRoleScopedFields, accountRoleScopedFields, socialRoleScopedFields]);

const signedInSharedFields = merge([postRoleScopedFields, accountRoleScopedFields, socialRoleScopedFields, accountSharedQueryFields]);
const adminSharedFields = merge([
  postRoleScopedFields,
  accountRoleScopedFields,
  socialRoleScopedFields,
  accountSharedQueryFields,
  postClassSharedFields,
]);
// `node` hands each type to that type's own by-id rule: for a signed-out viewer
// every private type reads as missing; for a signed-in one it may not.
const anonymousSharedFields = merge([
  postRoleScopedFields,
  accountRoleScopedFields,
  socialRoleScopedFields,
  accountSharedQueryFields,
  postClassSharedFields,
  { Query: ['node'] },
]);

/**
 * Every field whose value is the same for every viewer of this viewer's
 * visibility class (src/server/visibility-class.ts): the role-scoped ones
 * and `user`; for signed-out viewers and admins also posts and comments
 * (posts/policy.ts postClassSharedFields), and for signed-out ones `node`.
 */
export function sharedFieldsFor(viewer: Viewer | null): FieldSet {
  if (viewer === null) return anonymousSharedFields;
  return seesPostsAsClass(viewer) ? adminSharedFields : signedInSharedFields;
}

/**
 * Types whose selections count as shared only below one field, which
 * carries the row their visibility also reads: a comment is visible only
 * with its post, so it is shared only inside `Post.comments` (the post
 * selects `id`, so the entry carries the post's tag and the post's writes
 * drop it).
 */
export const sharedOnlyBelow: ReadonlyMap<string, string> = new Map([['Comment', 'Post.comments']]);

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
