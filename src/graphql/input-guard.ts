import { MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLFieldConfig,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { badInput } from '../lib/errors.ts';

// PostgreSQL text cannot hold U+0000: a NUL that reached SQL would fail the
// statement (a masked 500). It is never meaningful in a text input, so it is
// refused at the edge, for every argument of every field at once.
const NUL = '\u0000';

/** Whether a value of `type` can carry a string anywhere inside it (memoized; input types may recurse). */
function carriesStrings(type: GraphQLInputType, seen = new Map<string, boolean>()): boolean {
  const named = getNamedType(type);
  if (isScalarType(named)) return true;
  if (!isInputObjectType(named)) return false; // enums
  const known = seen.get(named.name);
  if (known !== undefined) return known;
  seen.set(named.name, false); // a cycle adds nothing new
  const result = Object.values(named.getFields()).some((field) => carriesStrings(field.type, seen));
  seen.set(named.name, result);
  return result;
}

/** The dotted path (`input.body`, `ids.1`) of the first string holding a NUL, or null. */
function nulPath(value: unknown, type: GraphQLInputType, path: string): string | null {
  if (value === null || value === undefined) return null;
  if (isNonNullType(type)) return nulPath(value, type.ofType, path);
  if (isListType(type)) {
    if (!Array.isArray(value)) return nulPath(value, type.ofType, path); // a single value coerced to a list
    for (let i = 0; i < value.length; i++) {
      const found = nulPath(value[i], type.ofType, `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  if (isInputObjectType(type)) {
    for (const [name, field] of Object.entries(type.getFields())) {
      const found = nulPath((value as Record<string, unknown>)[name], field.type, `${path}.${name}`);
      if (found) return found;
    }
    return null;
  }
  return typeof value === 'string' && value.includes(NUL) ? path : null;
}

type AnyField = GraphQLFieldConfig<unknown, unknown, Record<string, unknown>>;

/**
 * Refuses a NUL character in any string argument (or input field, at any
 * depth) of every field, as BAD_USER_INPUT naming it in `extensions.field`,
 * before the field's resolver (or subscribe) runs. Fields added to the schema
 * later are covered without a change here.
 */
export function rejectNulInArguments(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig) => {
      const field = fieldConfig as AnyField;
      const args = Object.entries(field.args ?? {}).filter(([, arg]) => carriesStrings(arg.type));
      if (args.length === 0) return fieldConfig;
      const check = (values: Record<string, unknown>) => {
        for (const [name, arg] of args) {
          const path = nulPath(values[name], arg.type, name);
          if (path) throw badInput(path, 'Must not contain the NUL character (U+0000)');
        }
      };
      const subscribe = field.subscribe;
      if (subscribe) {
        // A subscription's arguments are checked once, when it starts, not on every event.
        return {
          ...field,
          subscribe: (source, values, context, info) => {
            check(values);
            return subscribe(source, values, context, info);
          },
        } as typeof fieldConfig;
      }
      const resolve = field.resolve ?? defaultFieldResolver;
      const wrapped: AnyField = {
        ...field,
        resolve: (source, values, context, info) => {
          check(values);
          return resolve(source, values, context, info);
        },
      };
      return wrapped as typeof fieldConfig;
    },
  });
}
