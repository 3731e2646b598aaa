import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { GraphQLContext } from './context.ts';
import { sqlStatsStorage, type SqlStats } from '../db/prisma.ts';
import { isInfrastructureError, serviceUnavailable } from '../lib/infra-errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { OperationRules } from './operation-rules.ts';

// Large enough for any real operation (and for a password-policy check to
// refuse a 1 MB password itself); larger bodies are refused unread.
type RequestId = ReturnType<typeof randomUUID>;

export const MAX_BODY_BYTES = 2 * 1024 * 1024;

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyError(413, `Request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function headerMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/** A Vary already set (CORS: Origin) keeps its names alongside the answer's. */
function withVary(existing: unknown, added: string): string {
  return typeof existing === 'string' && existing !== '' ? `${existing}, ${added}` : added;
}

/** The POST body: JSON for JSON content types (bad JSON is a 400, as the GraphQL-over-HTTP spec says), the text otherwise. */
async function readGraphQLBody(req: IncomingMessage, headers: HeaderMap): Promise<unknown> {
  let raw: string;
  try {
    raw = await readBody(req);
  } catch (error) {
    return error instanceof BodyError ? error : new BodyError(400, (error as Error).message);
  }
  const contentType = headers.get('content-type') ?? '';
  if (!contentType.startsWith('application/json') && !contentType.startsWith('application/graphql-response+json')) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return new BodyError(400, 'Request body is not valid JSON');
  }
}

function sendError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }));
}

/**
 * Adapts Node's HTTP request to Apollo Server's transport-neutral API. The
 * body is parsed here (size-capped, bad JSON answered with 400 as the
 * GraphQL-over-HTTP spec says); everything else is Apollo's.
 */
export function createGraphQLHandler(
  apollo: ApolloServer<GraphQLContext>,
  makeContext: (req: IncomingMessage, sqlStats: SqlStats, requestId: RequestId) => Promise<GraphQLContext>,
  logger?: Logger,
  operationRules?: OperationRules,
) {
  // Resolving credentials reads the database: when it is down, the answer
  // is SERVICE_UNAVAILABLE (503) rather than Apollo's "context creation failed" 500.
  const contextOr503 = async (req: IncomingMessage, sqlStats: SqlStats, requestId: RequestId) => {
    try {
      return await makeContext(req, sqlStats, requestId);
    } catch (error) {
      if (!isInfrastructureError(error)) throw error;
      logger?.warn('service unavailable', { requestId, error: String(error) });
      throw serviceUnavailable();
    }
  };
  return async (req: IncomingMessage, res: ServerResponse, search: string): Promise<void> => {
    // Every answer carries the id its log lines use, errors before execution
    // included (the server sets it on arrival; a bare handler makes its own).
    let requestId = res.getHeader('x-request-id') as RequestId | undefined;
    if (!requestId) {
      requestId = randomUUID();
      res.setHeader('x-request-id', requestId);
    }
    const headers = headerMap(req);
    const body = req.method === 'POST' ? await readGraphQLBody(req, headers) : undefined;
    if (body instanceof BodyError) return sendError(res, body.status, body.message);

    // The document size limit holds before Apollo parses (it has no hook there).
    const query = req.method === 'POST' ? (body as { query?: unknown } | null)?.query : new URLSearchParams(search).get('query');
    const tooLarge = typeof query === 'string' ? operationRules?.checkSize(query) : undefined;
    if (tooLarge) {
      res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ errors: [{ message: tooLarge.message, extensions: tooLarge.extensions }] }));
      return;
    }

    const sqlStats: SqlStats = { statements: 0 };
    const response = await sqlStatsStorage.run(sqlStats, () =>
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search, body },
        context: () => contextOr503(req, sqlStats, requestId),
      }),
    );
    for (const [key, value] of response.headers) res.setHeader(key, key === 'vary' ? withVary(res.getHeader('vary'), value) : value);
    res.statusCode = response.status ?? 200;
    if (res.statusCode === 304) {
      res.end(); // Not Modified carries no body (src/server/response-cache-http.ts)
      return;
    }
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
