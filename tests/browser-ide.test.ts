import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from './helpers/fixtures.ts';
import { browserSkipReason, launchBrowser, screenshotPath } from './helpers/browser.ts';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';

// The IDE in a real (headless) Chromium: it loads from this server only, runs
// a query over HTTP and a subscription over graphql-ws, both carrying the
// Authorization header typed into its headers editor.

const RESULT_TIMEOUT_MS = 20_000;

/** What the functions run inside the page use (this project compiles without DOM types). */
interface PageGlobals {
  localStorage: { setItem(key: string, value: string): void };
  document: { querySelector(selector: string): { textContent: string | null } | null };
}

interface Visit {
  page: Page;
  /** Requests and WebSocket connections to any host but the server's. */
  foreign: string[];
  /** Content-Security-Policy violations and uncaught page errors. */
  problems: string[];
}

describe.skipIf(!!browserSkipReason)('GraphQL IDE in a browser', () => {
  let server: TestServer;
  let browser: Browser;
  let user: TestUser;
  let fan: TestUser;
  beforeAll(async () => {
    server = await startTestServer();
    [user, fan] = await Promise.all([signUp(server, 'ide'), signUp(server, 'idefan')]);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Opens the IDE in a fresh profile whose editor starts with `query` and the user's Authorization header. */
  async function openIde(query: string): Promise<Visit> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const visit: Visit = { page, foreign: [], problems: [] };
    const host = new URL(server.url).host;
    const check = (url: string) => {
      const parsed = new URL(url);
      if (['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol) && parsed.host !== host) visit.foreign.push(url);
    };
    page.on('request', (request) => check(request.url()));
    page.on('websocket', (socket) => check(socket.url()));
    page.on('pageerror', (error) => visit.problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) visit.problems.push(message.text().slice(0, 300));
    });
    // GraphiQL's own storage keys: the editor's first query and headers.
    await context.addInitScript(
      ({ q, headers }) => {
        const { localStorage } = globalThis as unknown as PageGlobals;
        localStorage.setItem('graphiql:query', q);
        localStorage.setItem('graphiql:headers', headers);
      },
      { q: query, headers: JSON.stringify({ Authorization: `Bearer ${user.token}` }) },
    );
    await page.goto(`${server.url}/graphql`);
    // Ready to run once the editor shows the query and the schema has loaded
    // (introspection over HTTP; the docs button is enabled then).
    await page.locator('.graphiql-query-editor').getByText(query.split(' ')[0]!).first().waitFor({ timeout: RESULT_TIMEOUT_MS });
    await page
      .locator('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]:not([disabled])')
      .waitFor({ timeout: RESULT_TIMEOUT_MS });
    return visit;
  }

  function resultContains(page: Page, text: string) {
    const shown = (expected: string) =>
      ((globalThis as unknown as PageGlobals).document.querySelector('.graphiql-response')?.textContent ?? '').includes(expected);
    return page.waitForFunction(shown, text, { timeout: RESULT_TIMEOUT_MS });
  }

  it('runs a query over HTTP with the headers editor Authorization, loading nothing from other hosts', async () => {
    const { page, foreign, problems } = await openIde('query WhoAmI { me { username } }');
    await page.locator('.graphiql-execute-button').click();
    await resultContains(page, user.username);
    await page.screenshot({ path: screenshotPath('ide-query') });
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('runs a subscription over graphql-ws on the same URL, authenticated from the headers editor', async () => {
    const { page, foreign, problems } = await openIde('subscription Mine { notificationAdded { notification { kind } } }');
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    await page.locator('.graphiql-execute-button').click();
    // notificationAdded needs a viewer: the subscription is in force only if
    // connection_init carried the header.
    await server.whenSubscribed(topics.user(user.id)).catch(async (error) => {
      throw new Error(`${error.message}; the result pane shows: ${await page.locator('.graphiql-response').textContent()}`);
    });
    const follow = await server.gql(
      'mutation ($input: FollowInput!) { followUser(input: $input) { user { id } } }',
      { input: { userId: user.id } },
      fan.token,
    );
    expect(follow.body.errors).toBeUndefined();
    await resultContains(page, 'NEW_FOLLOWER');
    await page.screenshot({ path: screenshotPath('ide-subscription') });
    expect(sockets).toEqual([`${server.url.replace('http:', 'ws:')}/graphql`]);
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

const skipReason = browserSkipReason;
if (skipReason) {
  describe('GraphQL IDE in a browser', () => {
    it.skip(skipReason, () => {});
  });
}
