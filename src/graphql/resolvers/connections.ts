import type { Resolvers } from '../resolvers.generated.ts';

// Connections resolve from lib/pagination `Connection`; `nodes` mirrors the
// edges, `totalCount` runs its count only when selected.
export const connection = {
  nodes: <T>(parent: { edges: { node: T }[] }) => parent.edges.map((e) => e.node),
  totalCount: (parent: { totalCount: () => Promise<number> }) => parent.totalCount(),
};

export const connectionResolvers: Resolvers = {
  UserConnection: connection,
  PostConnection: connection,
  CommentConnection: connection,
  SessionConnection: connection,
  AuditEventConnection: connection,
};
