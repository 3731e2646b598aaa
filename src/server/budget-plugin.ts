import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { GraphQLContext } from './context.ts';
import { checkCost } from './cost.ts';
import { checkBeforeExecution, type OperationRules } from './operation-rules.ts';
import { BudgetExceeded, costExtension, rootFieldNames, type Budgets } from './budgets.ts';

/** The same error with an HTTP status (and headers) for Apollo Server to answer with. */
function withHttp(error: GraphQLError, status: number, headers?: HeaderMap): GraphQLError {
  return new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status, ...(headers ? { headers } : {}) } } });
}

/**
 * HTTP side of cost and budgets: once the operation is known (parsed,
 * validated, before execution) its static cost is checked against the
 * maximum (400 OPERATION_TOO_COMPLEX) and spent from the payer's budgets
 * (429 RATE_LIMITED with Retry-After). Every response then carries
 * `extensions.cost`. The WebSocket side does the same in src/server/ws-server.ts.
 */
export function budgetPlugin(budgets: Budgets, maxCost: number, rules: OperationRules): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, operationName, request, contextValue }) {
          // Apollo runs every plugin's hook at once: an operation the shared
          // rules refuse (bad variables, limits) is answered by their plugin,
          // and is neither costed (its variables may be anything) nor charged.
          if (!operation || checkBeforeExecution(rules, { schema, document, operation, variables: request.variables })) return;
          const checked = checkCost(schema, document, operationName, request.variables, maxCost);
          if ('error' in checked) throw withHttp(checked.error, 400);
          try {
            contextValue.budget = await budgets.spend(
              { viewerId: contextValue.viewer?.id ?? null, address: contextValue.request.ip },
              checked.cost,
              operation ? rootFieldNames(document, operation) : [],
            );
          } catch (error) {
            if (!(error instanceof BudgetExceeded)) throw error;
            contextValue.budget = error.state;
            throw withHttp(error, 429, new HeaderMap([['retry-after', String(error.retryAfterSeconds)]]));
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (!contextValue?.budget || response.body.kind !== 'single') return;
          response.body.singleResult.extensions = { ...response.body.singleResult.extensions, cost: costExtension(contextValue.budget) };
        },
      };
    },
  };
}
