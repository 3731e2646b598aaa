import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { applyAuthDirectives } from '../auth/directives.ts';
import { rejectNulInArguments } from './input-guard.ts';
import { resolvers } from './resolvers/index.ts';

const SCHEMA_PATH = path.resolve(import.meta.dirname, '../../schema.graphql');

/** The SDL contract as written (comments, directives and all): what /schema.graphql serves. */
export function schemaSource(): string {
  return readFileSync(SCHEMA_PATH, 'utf8');
}

/** The executable schema: the SDL contract, our resolvers, and its auth directives enforced. */
export function buildSchema(): GraphQLSchema {
  const schema = applyAuthDirectives(makeExecutableSchema({ typeDefs: schemaSource(), resolvers: resolvers as never }));
  return rejectNulInArguments(schema);
}
