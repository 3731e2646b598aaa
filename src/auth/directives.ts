import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, type GraphQLFieldConfig, type GraphQLSchema } from 'graphql';
import type { ApiScope, Role } from '../db/generated/client.ts';
import type { GraphQLContext } from '../server/context.ts';
import { AppError, forbidden, unauthenticated } from '../lib/errors.ts';
import { hasRole } from './viewer.ts';

interface Requirements {
  auth: boolean;
  apiKeys: boolean;
  role: Role | null;
  scope: ApiScope | null;
}

function requirementsOf(schema: GraphQLSchema, field: GraphQLFieldConfig<unknown, unknown>, typeName: string): Requirements {
  const type = schema.getType(typeName)!;
  const onField = (name: string) => getDirective(schema, field, name)?.[0];
  const onType = (name: string) => getDirective(schema, type as never, name)?.[0];
  const auth = onField('auth') ?? onType('auth');
  const role = onField('hasRole');
  const scope = onField('scope') ?? onType('scope');
  return {
    auth: Boolean(auth || role),
    apiKeys: auth?.apiKeys !== false,
    role: (role?.role as Role | undefined) ?? null,
    scope: (scope?.name as ApiScope | undefined) ?? null,
  };
}

function check(req: Requirements, context: GraphQLContext): void {
  const { viewer } = context;
  if (req.scope && viewer && !viewer.scopes.has(req.scope)) {
    throw new AppError('FORBIDDEN', `This API key lacks the ${req.scope} scope`, { requiredScope: req.scope });
  }
  if (!req.auth) return;
  if (!viewer) throw unauthenticated();
  if (!req.apiKeys && viewer.credential !== 'session') throw forbidden('This needs a signed-in session, not an API key or external token');
  if (req.role && !hasRole(viewer, req.role)) throw forbidden(`This needs the ${req.role} role`);
}

/**
 * Enforces @auth, @hasRole and @scope from the SDL by wrapping the resolvers
 * (and subscribe functions) of the fields they govern, so the contract is
 * the single statement of who may call what.
 */
export function applyAuthDirectives(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, _name, typeName) => {
      const req = requirementsOf(schema, field, typeName);
      if (!req.auth && !req.scope) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      const wrapped: GraphQLFieldConfig<unknown, GraphQLContext> = {
        ...(field as GraphQLFieldConfig<unknown, GraphQLContext>),
        resolve: (source, args, context, info) => {
          check(req, context);
          return resolve(source, args, context, info);
        },
      };
      if (field.subscribe) {
        const subscribe = field.subscribe;
        wrapped.subscribe = (source, args, context, info) => {
          check(req, context);
          return subscribe(source, args, context, info);
        };
      }
      return wrapped as GraphQLFieldConfig<unknown, unknown>;
    },
  });
}

/** The fields of `typeName` that @auth or @hasRole refuse to a signed-out viewer before their resolver runs. */
export function fieldsRefusedToSignedOut(schema: GraphQLSchema, typeName: string): Set<string> {
  const type = schema.getType(typeName);
  if (!type || !('getFields' in type)) return new Set();
  const fields = type.getFields() as Record<string, unknown>;
  return new Set(
    Object.keys(fields).filter((name) => requirementsOf(schema, fields[name] as GraphQLFieldConfig<unknown, unknown>, typeName).auth),
  );
}
