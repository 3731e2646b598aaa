import { getNamedType, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Viewer } from '../auth/viewer.ts';
import { roleScopedFields } from '../modules/role-scoped-fields.ts';

/**
 * Who a subscription event's result may be shared with.
 *
 * A document that selects only role-scoped fields (src/modules/role-scoped-fields.ts,
 * listed in the modules' policy.ts) gives the same result to every viewer of
 * one visibility class: signed out, or one role with one credential kind and
 * one set of scopes (what the auth directives read). Any other document is
 * keyed by the viewer itself. Which events reach a subscriber is not decided
 * here: each subscriber's source stream applies the policy to its own viewer.
 */
export function createVisibilityKey(schema: GraphQLSchema, fields: ReadonlyMap<string, ReadonlySet<string>> = roleScopedFields) {
  const roleScoped = new WeakMap<DocumentNode, boolean>();
  return (document: DocumentNode, viewer: Viewer | null): string => {
    let shared = roleScoped.get(document);
    if (shared === undefined) roleScoped.set(document, (shared = selectsOnly(schema, document, fields)));
    return shared ? `class:${visibilityClassOf(viewer)}` : viewerOf(viewer);
  };
}

/** What the auth directives and role rules read of a viewer: its visibility class. */
export function visibilityClassOf(viewer: Viewer | null): string {
  if (!viewer) return 'anonymous';
  return `${viewer.role}:${viewer.credential}:${[...viewer.scopes].sort().join(',')}`;
}

function viewerOf(viewer: Viewer | null): string {
  // The class too: a role change must not let one socket see what its new role may not.
  return viewer ? `viewer:${viewer.id}:${visibilityClassOf(viewer)}` : visibilityClassOf(null);
}

/** Whether every field the document selects (in every operation and fragment) is listed; unknown fields are not. */
export function selectsOnly(schema: GraphQLSchema, document: DocumentNode, fields: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  const typeInfo = new TypeInfo(schema);
  let only = true;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (node.name.value === '__typename') return;
        const parent = typeInfo.getParentType();
        const listed = parent ? fields.get(getNamedType(parent).name)?.has(node.name.value) : false;
        if (!listed) only = false;
      },
    }),
  );
  return only;
}
