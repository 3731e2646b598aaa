import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_LOGIN } from '../src/db/seed.ts';
import { IDE_ASSET_PREFIX } from '../src/server/ide.ts';
import { signUp, startTestServer, type TestServer } from './helpers/server.ts';
import { runOnce, wsClient } from './helpers/ws.ts';

// The GraphQL IDE served by Agora itself: the page for browsers, its assets
// from the installed ruru package (nothing from another host), the SDL, and
// GraphQL itself unchanged for every other request.

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

function page(url: string) {
  return fetch(`${url}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
}

/** Attribute values of `attribute` on `<tag ...>` elements of our own page (a test reading trusted output, not a parser). */
function attributes(html: string, tag: string, attribute: string): string[] {
  return html
    .split(`<${tag}`)
    .slice(1)
    .map((element) => element.slice(0, element.indexOf('>')))
    .flatMap((element) => {
      const start = element.indexOf(`${attribute}="`);
      if (start < 0) return [];
      const from = start + attribute.length + 2;
      return [element.slice(from, element.indexOf('"', from))];
    });
}

/** A raw GET whose path is sent exactly as written (fetch would normalise it). */
function rawGet(url: string, path: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GraphQL IDE (development)', () => {
  let server: TestServer;
  let html: string;
  let pageResponse: Response;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'development', JWT_SECRET: randomBytes(32).toString('hex') });
    pageResponse = await page(server.url);
    html = await pageResponse.text();
  });
  afterAll(() => server.stop());

  it('serves the IDE page to a browser at the GraphQL URL, with a nonce-based policy', () => {
    expect(pageResponse.status).toBe(200);
    expect(pageResponse.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain('<div id="ruru-root">');
    const csp = pageResponse.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-eval');
    const scriptSrc = csp.split('; ').find((directive) => directive.startsWith('script-src')) ?? '';
    expect(scriptSrc).not.toContain('unsafe-inline');
    // Every inline script carries the nonce of this response's policy.
    const nonces = attributes(html, 'script', 'nonce');
    expect(nonces.length).toBe(html.split('<script').length - 1);
    expect(new Set(nonces).size).toBe(1);
    expect(scriptSrc).toBe(`script-src 'self' 'nonce-${nonces[0]}'`);
  });

  it('gives every page view a fresh nonce', async () => {
    const again = await (await page(server.url)).text();
    expect(attributes(again, 'script', 'nonce')[0]).not.toBe(attributes(html, 'script', 'nonce')[0]);
  });

  it('references only same-origin assets, and serves each with its content type and long caching', async () => {
    const links = [...attributes(html, 'link', 'href'), ...attributes(html, 'script', 'src')];
    const imported = html.split('import { React, createRoot, Ruru } from "')[1]?.split('"')[0];
    expect(imported).toBe(`${IDE_ASSET_PREFIX}ruru.js`);
    expect(links).toContain(`${IDE_ASSET_PREFIX}ruru.css`);
    expect(html).not.toContain('http://');
    expect(html).not.toContain('https://');
    const expected: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
    for (const asset of [...links, imported!]) {
      expect(asset.startsWith(IDE_ASSET_PREFIX), asset).toBe(true);
      const res = await fetch(`${server.url}${asset}`, { headers: { 'accept-encoding': 'br' } });
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type')).toBe(expected[asset.split('.').pop()!]);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
  });

  it('serves the editor workers and the font, and answers a matching ETag with 304', async () => {
    for (const [name, type] of [
      ['graphqlWorker.js', 'text/javascript; charset=utf-8'],
      ['f6283f7ccaed1249d9eb.ttf', 'font/ttf'],
    ]) {
      const res = await fetch(`${server.url}${IDE_ASSET_PREFIX}${name}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      const etag = res.headers.get('etag')!;
      expect(etag).toBeTruthy();
      const cached = await fetch(`${server.url}${IDE_ASSET_PREFIX}${name}`, { headers: { 'if-none-match': etag } });
      expect(cached.status).toBe(304);
    }
  });

  it('refuses paths out of the asset folder, unknown assets and source maps with 404', async () => {
    for (const path of [
      `${IDE_ASSET_PREFIX}..%2f..%2fpackage.json`,
      `${IDE_ASSET_PREFIX}..%2F..%2F..%2Fpackage.json`,
      `${IDE_ASSET_PREFIX}%2e%2e%2fserver.js`,
      `${IDE_ASSET_PREFIX}..%5c..%5cpackage.json`,
      `${IDE_ASSET_PREFIX}../../package.json`,
      `${IDE_ASSET_PREFIX}..`,
      `${IDE_ASSET_PREFIX}%00ruru.js`,
      `${IDE_ASSET_PREFIX}%E0%A4%A`,
      `${IDE_ASSET_PREFIX}ruru.js.map`,
      `${IDE_ASSET_PREFIX}nothing.js`,
      `${IDE_ASSET_PREFIX}__proto__`,
      '/ide/ruru-0.0.0/ruru.js',
      '/ide/..%2fpackage.json',
    ]) {
      expect(await rawGet(server.url, path), path).toBe(404);
    }
  });

  it('shows a first-run example with the demo login and where the token goes', () => {
    expect(html).toContain(`logIn(input: { login: \\"${DEMO_LOGIN.username}\\", password: \\"${DEMO_LOGIN.password}\\" })`);
    expect(html).toContain('{\\"authorization\\": \\"Bearer <accessToken>\\"}');
  });

  it('serves the SDL at /schema.graphql', async () => {
    const res = await fetch(`${server.url}/schema.graphql`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe(readFileSync('schema.graphql', 'utf8'));
  });

  it('leaves GraphQL unchanged: POST, GET with a JSON Accept, and a GET preferring JSON over HTML', async () => {
    const posted = await server.gql('{ me { id } }');
    expect(posted.status).toBe(200);
    expect(posted.body.data).toEqual({ me: null });
    const query = encodeURIComponent('{ me { id } }');
    for (const accept of ['application/json', 'application/graphql-response+json', 'text/html;q=0.5, application/json', '*/*']) {
      const res = await fetch(`${server.url}/graphql?query=${query}`, { headers: { accept, 'apollo-require-preflight': '1' } });
      expect(res.headers.get('content-type'), accept).not.toContain('text/html');
      expect(await res.json(), accept).toMatchObject({ data: { me: null } });
    }
  });
});

describe('connection_init from an IDE', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  // GraphiQL-style IDEs send their headers editor, as typed, as connectionParams.
  it('takes the credential from `Authorization` in any letter case', async () => {
    const user = await signUp(server, 'idews');
    for (const key of ['Authorization', 'AUTHORIZATION']) {
      const ws = wsClient(server.url, undefined, { [key]: `Bearer ${user.token}` });
      expect((await runOnce(ws, '{ me { id } }')).data, key).toEqual({ me: { id: user.id } });
      await ws.dispose();
    }
    const bad = wsClient(server.url, undefined, { Authorization: 'Bearer not-a-token' });
    expect(await bad.closed).toMatchObject({ code: 4403 });
  });
});

describe('GraphQL IDE in production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production', JWT_SECRET: randomBytes(32).toString('hex') });
  });
  afterAll(() => server.stop());

  it('is off by default: no page, no assets, no /schema.graphql', async () => {
    const res = await page(server.url);
    expect(res.headers.get('content-type') ?? '').not.toContain('text/html');
    expect(await res.text()).not.toContain('<html');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect((await fetch(`${server.url}${IDE_ASSET_PREFIX}ruru.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/schema.graphql`)).status).toBe(404);
    const posted = await server.gql('{ me { id } }');
    expect(posted.body.data).toEqual({ me: null });
  });
});

describe('GraphQL IDE in production with IDE_ENABLED=1', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(32).toString('hex'),
      IDE_ENABLED: '1',
      GRAPHQL_INTROSPECTION: 'on',
    });
  });
  afterAll(() => server.stop());

  it('serves the page and the SDL', async () => {
    const res = await page(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((await fetch(`${server.url}/schema.graphql`)).status).toBe(200);
  });
});
