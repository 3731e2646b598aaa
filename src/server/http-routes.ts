import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ExposureConfig } from '../config.ts';
import { isInfrastructureError, RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE_MESSAGE } from '../lib/infra-errors.ts';
import { withRequestId, type Logger } from '../lib/logger.ts';
import { handleCors, type createOriginPolicy } from './cors.ts';
import type { IdeRoutes } from './ide.ts';
import { serveMetrics, type Metrics } from './metrics.ts';
import type { readiness } from './readiness.ts';
import { applySecurityHeaders } from './security-headers.ts';

interface HttpRoutes {
  graphqlPath: string;
  handleGraphQL(req: IncomingMessage, res: ServerResponse, search: string): Promise<void>;
  origins: ReturnType<typeof createOriginPolicy>;
  metrics: Metrics;
  checkReadiness: ReturnType<typeof readiness>;
  exposure: ExposureConfig;
  /** The IDE page, its assets and /schema.graphql; null when IDE_ENABLED is off. */
  ide: IdeRoutes | null;
  logger: Logger;
}

/** Every response, answered by GraphQL or not, has an id (also in its log lines) and the security headers. */
export function serveHttp(httpServer: Server, routes: HttpRoutes): void {
  httpServer.on('request', (req, res) => {
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    applySecurityHeaders(req, res, routes.exposure);
    withRequestId(requestId, () => route(routes, req, res));
  });
}

function route(routes: HttpRoutes, req: IncomingMessage, res: ServerResponse): void {
  let target: URL;
  try {
    target = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    sendJson(res, 400, { error: 'Malformed request target' });
    return;
  }
  const { pathname, search } = target;
  const known = pathname === routes.graphqlPath || pathname === '/health' || pathname === '/ready' || pathname === '/metrics';
  routes.metrics.observeResponse(known ? pathname : 'other', res);
  const { ide } = routes;
  if (pathname === routes.graphqlPath) {
    if (handleCors(req, res, routes.origins)) return;
    if (ide?.wantsPage(req)) ide.servePage(res);
    else routes.handleGraphQL(req, res, search).catch((error) => failGraphQL(routes.logger, res, error));
  } else if (ide && pathname === '/schema.graphql') {
    ide.serveSchema(res);
  } else if (ide?.ownsAsset(pathname)) {
    ide.serveAsset(req, res, pathname).catch((error) => {
      routes.logger.error('IDE asset failed', { error: String(error) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  } else if (pathname === '/health') {
    // Liveness: the process answers. Dependencies are /ready's business.
    sendJson(res, 200, { status: 'ok' });
  } else if (pathname === '/ready') {
    void ready(routes, res);
  } else if (pathname === '/metrics') {
    serveMetrics(req, res, routes.metrics, routes.exposure).catch((error) => {
      routes.logger.error('metrics failed', { error: String(error) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  } else {
    sendJson(res, 404, { error: `Not found. GraphQL is served at ${routes.graphqlPath}` });
  }
}

/** A failure outside Apollo's own handling: 503 for an outage, a masked 500 otherwise. */
function failGraphQL(logger: Logger, res: ServerResponse, error: unknown): void {
  const requestId = String(res.getHeader('x-request-id') ?? '');
  if (isInfrastructureError(error)) {
    logger.warn('service unavailable', { requestId, error: String(error) });
    if (!res.headersSent) res.writeHead(503, { 'content-type': 'application/json', 'retry-after': String(RETRY_AFTER_SECONDS) });
    res.end(
      JSON.stringify({
        errors: [
          { message: SERVICE_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: RETRY_AFTER_SECONDS } },
        ],
      }),
    );
    return;
  }
  logger.error('request failed', { requestId, error: String(error) });
  if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
}

async function ready(routes: HttpRoutes, res: ServerResponse): Promise<void> {
  const report = await routes.checkReadiness();
  const ok = report.status === 'ok';
  res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', ...(ok ? {} : { 'retry-after': String(RETRY_AFTER_SECONDS) }) });
  res.end(JSON.stringify(report));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
