import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ruruHTML } from 'ruru/server';
import { getStaticFile } from 'ruru/static';
import { DEMO_LOGIN } from '../db/seed.ts';
import { applyIdeAssetPolicy, applyIdePagePolicy } from './security-headers.ts';

/**
 * The GraphQL IDE (ruru, a GraphiQL distribution) served by Agora itself:
 * the page, ruru's bundled assets from the installed package, and the SDL.
 * Nothing is loaded from another host.
 */
export interface IdeRoutes {
  /** A browser navigating to the GraphQL URL (GET preferring text/html) gets the page. */
  wantsPage(req: IncomingMessage): boolean;
  servePage(res: ServerResponse): void;
  /** Whether the path belongs to the IDE's static assets. */
  ownsAsset(pathname: string): boolean;
  serveAsset(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void>;
  serveSchema(res: ServerResponse): void;
}

const require = createRequire(import.meta.url);
// The assets' URL carries ruru's version, so they can be cached for good.
const RURU_VERSION: string = JSON.parse(
  readFileSync(path.join(path.dirname(require.resolve('ruru/server')), '..', 'package.json'), 'utf8'),
).version;
export const IDE_ASSET_PREFIX = `/ide/ruru-${RURU_VERSION}/`;
const YEAR_SECONDS = 365 * 86_400;

const FIRST_RUN_QUERY = `# Agora's GraphQL IDE. Queries and mutations go over HTTP, subscriptions
# over graphql-ws, both at /graphql.
#
# 1. Log in: run "LogIn" below (the demo account exists once the demo data is
#    seeded, e.g. on the first start of the embedded database).
# 2. Copy data.logIn.accessToken into the Headers tab (below the editor):
#      {"authorization": "Bearer <accessToken>"}
#    Every query and mutation sends it, and subscriptions send it in their
#    WebSocket connection_init.
# 3. Run "Me", or try a subscription such as
#      subscription { notificationAdded { cursor notification { kind count } } }
# The access token expires after ACCESS_TOKEN_TTL_SECONDS (15 min by default);
# trade the refresh token for new ones with refreshSession.

mutation LogIn {
  logIn(input: { login: "${DEMO_LOGIN.username}", password: "${DEMO_LOGIN.password}" }) {
    accessToken
    refreshToken
    user { id username }
  }
}

query Me {
  me { id username }
}
`;

/**
 * The page with every inline script split out, so each request can stamp a
 * fresh CSP nonce on them (the page's policy allows no other inline script).
 */
function pageTemplate(graphqlPath: string): string[] {
  const html = ruruHTML({
    endpoint: graphqlPath,
    staticPath: IDE_ASSET_PREFIX,
    clientConfig: { defaultQuery: FIRST_RUN_QUERY },
    htmlParts: { titleTag: '<title>Agora GraphQL IDE</title>' },
  });
  return html.split('<script');
}

/** Whether Accept prefers an HTML page to a GraphQL response (the header is parsed, never pattern-matched). */
function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const weights = new Map<string, number>();
  for (const entry of accept.split(',')) {
    const [type, ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (!type) continue;
    const q = params.find((param) => param.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(type, Number.isFinite(weight) ? weight : 0);
  }
  const weightOf = (type: string) => weights.get(type) ?? weights.get(`${type.split('/')[0]}/*`) ?? weights.get('*/*') ?? 0;
  const html = weights.get('text/html') ?? 0;
  const graphql = Math.max(weightOf('application/json'), weightOf('application/graphql-response+json'), weightOf('multipart/mixed'));
  return html > 0 && html > graphql;
}

/** The file name under the asset prefix, or null for anything that is not one plain name. */
function assetName(pathname: string): string | null {
  let name: string;
  try {
    name = decodeURIComponent(pathname.slice(IDE_ASSET_PREFIX.length));
  } catch {
    return null;
  }
  // One segment, no way up: ruru looks names up in its in-memory bundle, and
  // nothing here ever touches the file system.
  if (name === '' || name.includes('/') || name.includes('\\') || name.includes('\0') || name.startsWith('.')) return null;
  return name;
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: 'Not found' }));
}

export function createIdeRoutes(options: { graphqlPath: string; sdl: string }): IdeRoutes {
  const template = pageTemplate(options.graphqlPath);
  return {
    wantsPage: (req) => req.method === 'GET' && prefersHtml(req.headers.accept),
    servePage(res) {
      const nonce = randomBytes(16).toString('base64');
      const [head, ...scripts] = template;
      const html = head + scripts.map((rest) => `<script nonce="${nonce}"${rest}`).join('');
      applyIdePagePolicy(res, nonce);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
    },
    ownsAsset: (pathname) => pathname.startsWith('/ide/'),
    async serveAsset(req, res, pathname) {
      const name = pathname.startsWith(IDE_ASSET_PREFIX) ? assetName(pathname) : null;
      const file = name
        ? await getStaticFile({
            staticPath: '/',
            urlPath: `/${name}`,
            acceptEncoding: req.headers['accept-encoding'],
            // Source maps would cost ~10 MB of memory; the IDE runs without them.
            disallowDevAssets: true,
          })
        : null;
      if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
        notFound(res);
        return;
      }
      applyIdeAssetPolicy(res);
      const caching = { 'cache-control': `public, max-age=${YEAR_SECONDS}, immutable`, vary: 'accept-encoding' };
      if (req.headers['if-none-match'] === file.headers.etag) {
        res.writeHead(304, { etag: file.headers.etag ?? '', ...caching });
        res.end();
        return;
      }
      res.writeHead(200, { ...file.headers, ...caching });
      res.end(req.method === 'HEAD' ? undefined : file.content);
    },
    serveSchema(res) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(options.sdl);
    },
  };
}
