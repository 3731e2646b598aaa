import type { NodeType } from '../../lib/global-id.ts';
import type { Resolvers } from '../../graphql/resolvers.generated.ts';

// Each domain's policy decides what node(id) returns (nodes/service.ts).
export const nodeResolvers: Resolvers = {
  Query: {
    node: (_, { id }, { services }) => services.nodes.node(id),
    nodes: (_, { ids }, { services }) => services.nodes.nodes(ids),
  },

  Node: {
    __resolveType: (node) => (node as unknown as { __typename: NodeType }).__typename,
  },
};
