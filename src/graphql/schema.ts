import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { resolvers } from './resolvers/index.ts';

export const SCHEMA_PATH = path.resolve(import.meta.dirname, '../../schema.graphql');

/** The executable schema: the SDL contract plus our resolvers. */
export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: readFileSync(SCHEMA_PATH, 'utf8'), resolvers: resolvers as never });
}
