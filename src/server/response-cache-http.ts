import { createHash } from 'node:crypto';
import { HeaderMap, type GraphQLRequestContextWillSendResponse, type GraphQLResponse } from '@apollo/server';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import type { GraphQLContext } from './context.ts';
import type { BeforeMutation, ResponseCache } from './response-cache.ts';

/** A cacheable HTTP operation's entry: its key, the epoch its lookup saw, and whether it was found. */
export interface CacheTicket {
  key: string;
  epoch: string;
  hit: boolean;
}

interface OperationAtHand {
  source: string;
  document: DocumentNode;
  operation: OperationDefinitionNode | null | undefined;
  operationName: string | null | undefined;
  variables: Record<string, unknown> | undefined;
  contextValue: GraphQLContext;
}

/** Apollo's `responseForOperation`: the stored response when there is one (the ticket either way), for a cacheable operation. */
export async function lookupResponse(
  cache: ResponseCache,
  op: OperationAtHand,
): Promise<{ ticket: CacheTicket; response: GraphQLResponse | null } | null> {
  const { viewer } = op.contextValue;
  if (!cache.applies(op.document, op.operation, viewer, op.variables)) return null;
  const key = cache.key(op.source, op.operationName, op.variables, viewer);
  const found = await cache.lookup(key);
  const ticket = { key, epoch: found.epoch, hit: found.value !== null };
  if (found.value === null) return { ticket, response: null };
  const singleResult = JSON.parse(found.value) as { data: Record<string, unknown> };
  return { ticket, response: { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult } } };
}

type SendContext = GraphQLRequestContextWillSendResponse<GraphQLContext>;

/**
 * Apollo's `willSendResponse`: a cacheable operation's fresh result is stored
 * (only without errors) and marked `extensions.cache`; a signed-out GET of
 * it may be cached by browsers and proxies for the TTL, with an ETag (304
 * when it matches). Everything else: `Cache-Control: no-store`, and
 * `private, no-store` for a signed-in viewer (even one served from the
 * cache of their class: no proxy nor browser keeps it) or an answer that
 * signs one in (its tokens).
 */
export async function finishResponse(
  cache: ResponseCache | null,
  ticket: CacheTicket | undefined,
  ctx: SendContext,
  before?: BeforeMutation,
): Promise<void> {
  const single = ctx.response.body.kind === 'single' ? ctx.response.body.singleResult : undefined;
  const signedIn = ctx.contextValue.viewer !== null || ctx.contextValue.signedIn != null;
  ctx.response.http.headers.set('cache-control', signedIn ? 'private, no-store' : 'no-store');
  if (!cache || !single || !ctx.document) return;
  if (!ticket) return cache.afterMutation(ctx.operation, ctx.request.variables, single.data, before ?? [], ctx.contextValue.viewer);
  const clean = !single.errors?.length && single.data != null;
  if (!ticket.hit && clean && ctx.operation) {
    const { document, operation } = ctx;
    const body = JSON.stringify({ data: single.data });
    await cache.store(ticket.key, ticket.epoch, { body, document, operation, variables: ctx.request.variables, data: single.data });
  }
  single.extensions = { ...single.extensions, cache: ticket.hit ? 'HIT' : 'MISS' };
  if (ctx.request.http?.method === 'GET' && clean && !signedIn) httpCaching(ctx, cache.ttlSeconds, single.data);
}

/** Cache-Control for shared caches and a weak ETag over the data (the extensions differ per request); 304 when it matches. */
function httpCaching(ctx: SendContext, ttlSeconds: number, data: unknown): void {
  const etag = `W/"${createHash('sha256').update(JSON.stringify(data)).digest('base64url')}"`;
  const headers = ctx.response.http.headers;
  headers.set('cache-control', `public, max-age=${ttlSeconds}`);
  // The answer is a signed-out one: a shared cache must not hand it to a request carrying credentials.
  headers.set('vary', 'authorization');
  headers.set('etag', etag);
  const ifNoneMatch = ctx.request.http?.headers.get('if-none-match');
  if (ifNoneMatch?.split(',').some((tag) => tag.trim() === etag)) ctx.response.http.status = 304;
}
