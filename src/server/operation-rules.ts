import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  Lexer,
  NoSchemaIntrospectionCustomRule,
  Source,
  TokenKind,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { OperationLimitsConfig } from '../config.ts';
import { coerceVariables } from './variables.ts';

/**
 * The ONE set of static operation rules, applied by both transports:
 * - HTTP: Apollo Server gets `parseOptions`, `validationRules` and
 *   `validationOptions` (src/app.ts), and the operation pipeline's plugin runs
 *   `checkBeforeExecution` (src/server/operation-pipeline.ts `admit`);
 *   the byte limit is checked on the request body before Apollo parses
 *   (src/server/http-handler.ts), and src/server/error-shaping.ts gives Apollo's
 *   re-coded parse/validation errors their OPERATION_TOO_COMPLEX code back;
 * - WebSocket: the pipeline's `prepare` (with src/server/document-cache.ts)
 *   and `admit` run `checkSize`, `parse(…, parseOptions)`, `validationRules`
 *   and `checkBeforeExecution` (graphql-ws would otherwise apply only
 *   graphql-js's specified rules).
 * "Did you mean …" suggestions are left out by graphql-js itself
 * (`hideSuggestions` in validation and variable coercion), not by editing
 * messages.
 *
 * Where a new check plugs in:
 * - a check of the document alone: a validation rule in `validationRules`;
 * - a check that needs the variables (e.g. a static cost where `first: $n`
 *   multiplies): a function in `beforeExecution`, run after the variables are
 *   coerced, on both transports.
 * Refusals are `OperationTooComplexError` (code OPERATION_TOO_COMPLEX, HTTP 400).
 */
export interface OperationRules {
  readonly limits: OperationLimitsConfig;
  /** graphql-js parse options (`maxTokens`). */
  readonly parseOptions: ParseOptions;
  /** Run after graphql-js's `specifiedRules`. */
  readonly validationRules: readonly ValidationRule[];
  /** graphql-js validate options: `hideSuggestions` drops "Did you mean …" hints built from schema names. */
  readonly validationOptions: { hideSuggestions: boolean };
  /** Run after validation and variable coercion; the first error returned refuses the operation. */
  readonly beforeExecution: PreExecutionCheck[];
  /** The byte-limit refusal for a query document, checked before parsing. */
  checkSize(source: string): OperationTooComplexError | undefined;
  /** What a parse error becomes for the client: a token-limit refusal, or itself. */
  parseError(error: GraphQLError, source: string): GraphQLError;
}

/** A valid operation about to run, with its variables already coerced successfully. */
export interface PreparedOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown>;
}

type PreExecutionCheck = (operation: PreparedOperation) => GraphQLError | undefined;

export type OperationLimit = 'bytes' | 'tokens' | 'depth' | 'aliases' | 'rootFields' | 'directives' | 'cost';

const LIMIT_NAMES: Record<OperationLimit, string> = {
  bytes: 'Query document size in bytes',
  tokens: 'Query document token count',
  depth: 'Operation depth',
  aliases: 'Number of aliases',
  rootFields: 'Number of root fields',
  directives: 'Number of directives',
  cost: 'Operation cost',
};

/** A refusal by a static limit: `extensions.limit`, `max` and, when known, `actual`. */
export class OperationTooComplexError extends GraphQLError {
  constructor(
    readonly limit: OperationLimit,
    max: number,
    actual?: number,
    nodes?: OperationDefinitionNode[],
  ) {
    const found = actual === undefined ? '' : ` (found ${actual})`;
    super(`${LIMIT_NAMES[limit]} exceeds the limit of ${max}${found}.`, {
      nodes,
      extensions: { code: 'OPERATION_TOO_COMPLEX', limit, max, ...(actual === undefined ? {} : { actual }) },
    });
  }
}

export function createOperationRules(limits: OperationLimitsConfig): OperationRules {
  return {
    limits,
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [
      ...(limits.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
      // graphql-armor's rules, used as plain graphql-js validation rules:
      // instead of throwing their own uncoded error they report ours.
      maxDepthRule({
        n: limits.maxDepth,
        // Depth counts fields; a fragment spread adds no level of its own.
        flattenFragments: true,
        // An IDE's introspection query nests deeper than any real operation.
        ignoreIntrospection: true,
        propagateOnRejection: false,
        onReject: [reportLimit('depth', limits.maxDepth)],
      }),
      maxAliasesRule({ n: limits.maxAliases, propagateOnRejection: false, onReject: [reportLimit('aliases', limits.maxAliases)] }),
      maxDirectivesRule({
        n: limits.maxDirectives,
        propagateOnRejection: false,
        onReject: [reportLimit('directives', limits.maxDirectives)],
      }),
      maxRootFieldsRule(limits.maxRootFields),
    ],
    validationOptions: { hideSuggestions: !limits.suggestions },
    beforeExecution: [],
    checkSize(source) {
      // Cheap test first: a UTF-8 byte is at least a UTF-16 unit and at most three.
      if (source.length * 3 <= limits.maxBytes) return undefined;
      const bytes = Buffer.byteLength(source, 'utf8');
      return bytes > limits.maxBytes ? new OperationTooComplexError('bytes', limits.maxBytes, bytes) : undefined;
    },
    parseError(error, source) {
      return exceedsTokens(source, limits.maxTokens) ? new OperationTooComplexError('tokens', limits.maxTokens) : error;
    },
  };
}

function reportLimit(limit: OperationLimit, max: number) {
  return (context: ValidationContext | null) => context?.reportError(new OperationTooComplexError(limit, max));
}

/** graphql-armor has no rule for this one: top-level fields, through fragments. */
function maxRootFieldsRule(max: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const count = countFields(context, operation.selectionSet, new Set());
      if (count > max) context.reportError(new OperationTooComplexError('rootFields', max, count, [operation]));
    },
  });
}

function countFields(context: ValidationContext, selectionSet: SelectionSetNode, spread: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count += 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += countFields(context, selection.selectionSet, spread);
    else if (!spread.has(selection.name.value)) {
      // Each fragment once: this also stops on fragment cycles, which
      // graphql-js reports separately.
      spread.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) count += countFields(context, fragment.selectionSet, spread);
    }
  }
  return count;
}

/**
 * Whether the document has more than `max` tokens, counted the way graphql-js's
 * parser counts them for `maxTokens` (comments excluded). graphql-js reports
 * that limit as a plain syntax error; lexing again (at most max + 1 tokens)
 * tells it apart without reading the error's message. A document that also
 * has a syntax error earlier is over the limit all the same.
 */
function exceedsTokens(source: string, max: number): boolean {
  const lexer = new Lexer(new Source(source));
  try {
    for (let count = 0; lexer.advance().kind !== TokenKind.EOF; ) {
      if (++count > max) return true;
    }
  } catch {
    // A lexing error before the limit is what the parser reported.
  }
  return false;
}

/**
 * The step shared by both transports between validation and execution:
 * variables are coerced with graphql-js's `coerceInputValue` (which reports
 * offending paths as data), then every `beforeExecution` check runs.
 */
export function checkBeforeExecution(
  rules: OperationRules,
  prepared: Omit<PreparedOperation, 'variables'> & { variables: unknown },
): GraphQLError | undefined {
  const variables = (prepared.variables ?? {}) as Record<string, unknown>;
  const invalid = coerceVariables(
    prepared.schema,
    prepared.operation.variableDefinitions ?? [],
    variables,
    rules.validationOptions.hideSuggestions,
  );
  if (invalid) return invalid;
  for (const check of rules.beforeExecution) {
    const error = check({ ...prepared, variables });
    if (error) return error;
  }
  return undefined;
}
