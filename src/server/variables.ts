import {
  coerceInputValue,
  type GraphQLError,
  isInputObjectType,
  isInputType,
  isListType,
  isNonNullType,
  print,
  typeFromAST,
  type GraphQLInputType,
  type GraphQLSchema,
  type VariableDefinitionNode,
} from 'graphql';
import { ValidationError, type FieldError } from '../lib/errors.ts';

// Enough to fix a form in one round trip; a hostile 32,000-key object stops here.
const MAX_FIELD_ERRORS = 20;
// graphql-js quotes the invalid value in its messages (`inspect` does not
// shorten objects): keep answers small whatever was sent.
const MAX_MESSAGE_CHARS = 300;

class TooManyErrors extends Error {}

/**
 * Coerces an operation's variables like graphql-js's `getVariableValues`, but
 * reports each offending value by its path as data: `extensions.field` is
 * `input.title`, `ids.1` or `first`, and `fieldErrors` lists them all (up to
 * MAX_FIELD_ERRORS). Returns undefined when every variable is valid.
 *
 * Unknown and missing input-object fields are found by walking the value
 * along its type first, because graphql-js reports those at the object's path
 * and names the field only inside its message.
 */
export function coerceVariables(
  schema: GraphQLSchema,
  definitions: readonly VariableDefinitionNode[],
  inputs: Record<string, unknown>,
  hideSuggestions: boolean,
): GraphQLError | undefined {
  const errors: FieldError[] = [];
  const report = (field: string, message: string) => {
    errors.push({ field, message: shorten(message) });
    if (errors.length >= MAX_FIELD_ERRORS) throw new TooManyErrors();
  };
  try {
    for (const definition of definitions) {
      const name = definition.variable.name.value;
      const type = typeFromAST(schema, definition.type);
      if (!type || !isInputType(type)) continue; // refused by validation already
      if (!Object.hasOwn(inputs, name)) {
        if (!definition.defaultValue && isNonNullType(type)) {
          report(name, `Variable "$${name}" of required type "${print(definition.type)}" was not provided.`);
        }
        continue;
      }
      const value = inputs[name];
      const before = errors.length;
      checkShape(type, value, name, report);
      if (errors.length > before) continue;
      coerceInputValue(value, type, (path, _invalid, error) => report([name, ...path].join('.'), error.message), hideSuggestions);
    }
  } catch (error) {
    if (!(error instanceof TooManyErrors)) throw error;
  }
  return errors.length > 0 ? new ValidationError(errors) : undefined;
}

/** Reports unknown fields and missing required fields of input objects, by path. */
function checkShape(type: GraphQLInputType, value: unknown, path: string, report: (field: string, message: string) => void): void {
  if (value === null || value === undefined) return; // nullability is coerceInputValue's
  if (isNonNullType(type)) {
    checkShape(type.ofType, value, path, report);
    return;
  }
  if (isListType(type)) {
    if (!Array.isArray(value))
      checkShape(type.ofType, value, path, report); // a single value is coerced as a list of one
    else for (const [index, item] of value.entries()) checkShape(type.ofType, item, `${path}.${index}`, report);
    return;
  }
  if (!isInputObjectType(type) || typeof value !== 'object' || Array.isArray(value)) return;
  const fields = type.getFields();
  const object = value as Record<string, unknown>;
  for (const field of Object.values(fields)) {
    const fieldValue = Object.hasOwn(object, field.name) ? object[field.name] : undefined;
    if (fieldValue !== undefined) checkShape(field.type, fieldValue, `${path}.${field.name}`, report);
    else if (isNonNullType(field.type) && field.defaultValue === undefined) {
      report(`${path}.${field.name}`, `Field of required type "${String(field.type)}" was not provided.`);
    }
  }
  for (const key of Object.keys(object)) {
    if (!Object.hasOwn(fields, key)) report(`${path}.${key}`, `Field is not defined by type "${type.name}".`);
  }
}

function shorten(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
}
