import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { applyAuthDirectives } from '../auth/directives.ts';
import { rejectNulInArguments } from './input-guard.ts';
import { resolvers } from './resolvers/index.ts';

const SCHEMA_PATH = path.resolve(import.meta.dirname, '../../schema.graphql');

/** The executable schema: the SDL contract, our resolvers, and its auth directives enforced. */
export function buildSchema(): GraphQLSchema {
  const schema = applyAuthDirectives(makeExecutableSchema({ typeDefs: readFileSync(SCHEMA_PATH, 'utf8'), resolvers: resolvers as never }));
  return rejectNulInArguments(schema);
}
