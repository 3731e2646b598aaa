import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../src/db/seed.ts';
import { createLogger } from '../src/lib/logger.ts';
import { browserSkipReason, launchBrowser, screenshotPath } from './helpers/browser.ts';
import { rawId, topics } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer } from './helpers/server.ts';

// The example app (examples/web), built for real and served from its own
// loopback port: the page talks to Agora on another origin (CORS, and the
// WebSocket's Origin check), with no proxy in between.
const APP_ROOT = path.resolve('examples/web');
const PASSWORD = 'agora-demo';
const ACCESS_TOKEN_TTL_SECONDS = 5;
const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

const isFile = (file: string) =>
  stat(file)
    .then((s) => s.isFile())
    .catch(() => false);

/** A static file server for the built app; unknown paths get index.html (a single-page app). */
async function serveStatic(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const asked = path.join(dir, path.normalize(pathname));
    const file = asked.startsWith(dir) && (await isFile(asked)) ? asked : path.join(dir, 'index.html');
    res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe.skipIf(!!browserSkipReason)('the example web app in a browser, against a real Agora', () => {
  let agora: TestServer;
  let outDir: string;
  let app: { server: Server; url: string };
  let browser: Browser;
  let aliceId: string;
  let directId: string;
  const hosts = new Set<string>();
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // Short-lived access tokens: the app must refresh them, and re-authenticate
    // its open WebSocket in band, several times during the test.
    agora = await startTestServer({ ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS) });
    await seedDemoData(agora.db, createLogger('silent'), { users: 8, posts: 40, comments: 80 });
    const login = await logIn('alice');
    aliceId = login.user.id;
    const inbox = await agora.gql('{ conversations(first: 10) { nodes { id kind } } }', {}, login.accessToken);
    directId = inbox.body.data!.conversations.nodes.find((c: { kind: string }) => c.kind === 'DIRECT').id;

    outDir = await mkdtemp(path.join(tmpdir(), 'agora-web-'));
    // A production build, as `npm run build` makes (Vitest runs with NODE_ENV=test).
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    await build({
      root: APP_ROOT,
      configFile: path.join(APP_ROOT, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
      define: { 'import.meta.env.VITE_AGORA_URL': JSON.stringify(`${agora.url}/graphql`) },
    }).finally(() => {
      process.env.NODE_ENV = nodeEnv;
    });
    app = await serveStatic(outDir);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    if (app) await new Promise((resolve) => app.server.close(resolve));
    if (outDir) await rm(outDir, { recursive: true, force: true });
    await agora?.stop();
  });

  /** A session for asserting and arranging through the API (tokens live only ACCESS_TOKEN_TTL_SECONDS). */
  async function logIn(login: string): Promise<{ accessToken: string; user: { id: string } }> {
    const res = await agora.gql('mutation ($input: LogInInput!) { logIn(input: $input) { accessToken user { id } } }', {
      input: { login, password: PASSWORD },
    });
    return res.body.data!.logIn;
  }

  /** Per page: the WebSockets it opened, and how many in-band re-authentications the server confirmed. */
  const sockets = new Map<Page, { opened: number; reauthenticated: number }>();

  const contexts: BrowserContext[] = [];
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    // No script errors, and only the two loopback servers were ever reached.
    expect(pageErrors).toEqual([]);
    const allowed = new Set([new URL(app.url).host, new URL(agora.url).host]);
    expect([...hosts].filter((host) => !allowed.has(host))).toEqual([]);
  });

  async function signIn(username: string, initScript?: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    contexts.push(context);
    if (initScript) await context.addInitScript(initScript);
    const page = await context.newPage();
    page.on('request', (request) => hosts.add(new URL(request.url()).host));
    const seen = { opened: 0, reauthenticated: 0 };
    sockets.set(page, seen);
    page.on('websocket', (socket) => {
      hosts.add(new URL(socket.url()).host);
      seen.opened += 1;
      socket.on('framereceived', ({ payload }) => {
        const message = JSON.parse(String(payload));
        if (message.type === 'pong' && message.payload?.reauthenticated === true) seen.reauthenticated += 1;
      });
    });
    page.on('pageerror', (error) => pageErrors.push(`${username}: ${error.message}`));
    await page.goto(app.url);
    await page.fill('input[name=login]', username);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.locator('[data-testid=viewer]', { hasText: `@${username}` }).waitFor();
    return page;
  }

  async function openChats(page: Page): Promise<void> {
    await page.click('[data-testid=nav-chat]');
    await page.locator('[data-testid=conversation]').first().waitFor();
  }

  /** Waits until the direct conversation's unread badge in `page`'s list shows `count` (the badge is absent at 0). */
  async function unreadBecomes(page: Page, count: number): Promise<void> {
    const badge = page.locator(`[data-conversation-id="${directId}"] [data-testid=unread]`);
    if (count === 0) await badge.waitFor({ state: 'detached', timeout: 10_000 });
    else await badge.filter({ hasText: new RegExp(`^${count}$`) }).waitFor({ timeout: 10_000 });
  }

  it('two users chat live: unread counts, typing, presence, read markers and the notification badge move in both pages', {
    timeout: 90_000,
  }, async () => {
    const alice = await signIn('alice');
    const bruno = await signIn('bruno_silva1');
    await Promise.all([openChats(alice), openChats(bruno)]);

    // Alice stays on her conversation list; the seed left her some unread messages.
    const badge = alice.locator(`[data-conversation-id="${directId}"] [data-testid=unread]`);
    const before = Number((await badge.count()) > 0 ? await badge.textContent() : 0);
    // Her conversationEvents and notificationAdded subscriptions are in force.
    await agora.whenSubscribed(topics.user(aliceId), 2);

    await bruno.click(`[data-conversation-id="${directId}"]`);
    await bruno.locator('[data-testid=conversation-view]').waitFor();
    await bruno.fill('input[name=message]', 'Hi Alice, are you there?');
    await bruno.press('input[name=message]', 'Enter');
    await bruno.locator('[data-testid=message]', { hasText: 'Hi Alice, are you there?' }).waitFor();

    // Live on Alice's list: one more unread, and the new last message as preview.
    await unreadBecomes(alice, before + 1);
    await alice.locator(`[data-conversation-id="${directId}"]`, { hasText: 'Hi Alice, are you there?' }).waitFor();

    // A new follower: Alice's notification badge goes up, live (notificationAdded).
    const notificationBadge = alice.locator('[data-testid=notification-badge]');
    const notificationsBefore = Number(await notificationBadge.textContent());
    const follower = await signUp(agora, 'fan');
    const followed = await agora.gql(
      'mutation ($input: FollowInput!) { followUser(input: $input) { user { id } } }',
      { input: { userId: aliceId } },
      follower.token,
    );
    expect(followed.body.errors).toBeUndefined();
    await notificationBadge.filter({ hasText: new RegExp(`^${notificationsBefore + 1}$`) }).waitFor();

    // Alice opens the conversation: the message is there, her read marker moves, the badge goes.
    await alice.click(`[data-conversation-id="${directId}"]`);
    await alice.locator('[data-testid=message]', { hasText: 'Hi Alice, are you there?' }).waitFor();
    await unreadBecomes(alice, 0);
    await alice.locator('[data-testid=presence][data-online=true]', { hasText: 'bruno_silva1' }).waitFor();
    await agora.whenSubscribed(topics.conversation(directId));
    await agora.whenSubscribed(topics.typing(directId));

    // Bruno types: Alice sees it; he sends: the indicator goes and the message arrives live.
    await bruno.fill('input[name=message]', 'Climbing on Saturday?');
    await alice.locator('[data-testid=typing]', { hasText: 'bruno_silva1 is typing' }).waitFor();
    await bruno.press('input[name=message]', 'Enter');
    await alice.locator('[data-testid=message]', { hasText: 'Climbing on Saturday?' }).waitFor();
    await alice.locator('[data-testid=typing]', { hasText: /^$/ }).waitFor();
    // Read while open: no unread badge, and the server agrees.
    await unreadBecomes(alice, 0);
    const { accessToken } = await logIn('alice');
    await expect
      .poll(async () => {
        const res = await agora.gql('query ($id: ID!) { conversation(id: $id) { unreadCount } }', { id: directId }, accessToken);
        return res.body.data!.conversation.unreadCount;
      })
      .toBe(0);

    // Alice answers; Bruno, who is in the conversation too, sees it.
    await alice.fill('input[name=message]', 'Yes! 9am at the gym.');
    await alice.press('input[name=message]', 'Enter');
    await bruno.locator('[data-testid=message]', { hasText: 'Yes! 9am at the gym.' }).waitFor();

    // Token refresh: Alice's tokens were refreshed and her one socket re-authenticated
    // in band past the first token's expiry; the chat is still live on it.
    await expect
      .poll(() => sockets.get(alice)!.reauthenticated, { timeout: 3 * ACCESS_TOKEN_TTL_SECONDS * 1000 })
      .toBeGreaterThanOrEqual(2);
    await bruno.fill('input[name=message]', 'Still there after the refresh?');
    await bruno.press('input[name=message]', 'Enter');
    await alice.locator('[data-testid=message]', { hasText: 'Still there after the refresh?' }).waitFor();
    expect(sockets.get(alice)!.opened).toBe(1);

    await alice.screenshot({ path: screenshotPath('app-alice') });
    await bruno.screenshot({ path: screenshotPath('app-bruno') });

    // Bruno logs out everywhere from another device: his open page's socket is
    // closed (4403, credential revoked) and the page signs out, saying why.
    // Right after an in-band re-auth, so no token refresh (which would fail
    // too, with another notice) comes first.
    const elsewhere = await logIn('bruno_silva1');
    const reauthenticated = sockets.get(bruno)!.reauthenticated;
    await expect
      .poll(() => sockets.get(bruno)!.reauthenticated, { timeout: 2 * ACCESS_TOKEN_TTL_SECONDS * 1000 })
      .toBeGreaterThan(reauthenticated);
    const revoked = await agora.gql('mutation { logOutEverywhere { __typename } }', {}, elsewhere.accessToken);
    expect(revoked.body.errors).toBeUndefined();
    await bruno.locator('[data-testid=signed-out-notice]', { hasText: 'ended on another device' }).waitFor();

    // Log out through the UI: back to the sign-in form.
    await alice.getByRole('button', { name: 'Log out' }).click();
    await alice.locator('input[name=login]').waitFor();

    // The page reached Agora on its own origin (afterEach checks nothing else was reached).
    expect(hosts).toContain(new URL(agora.url).host);
  });

  it('the feed scrolls page after page; a post takes comments (live from others too) and reactions; a reload stays signed in', {
    timeout: 60_000,
  }, async () => {
    // Alice follows everyone, so her feed has several pages.
    const users = await agora.db.user.findMany({ where: { username: { not: 'alice' } }, select: { id: true } });
    await agora.db.follow.createMany({
      data: users.map((u) => ({ followerId: rawId(aliceId), followeeId: u.id })),
      skipDuplicates: true,
    });
    const alice = await signIn('alice');
    const posts = alice.locator('[data-testid=post]');
    await posts.nth(9).waitFor();
    expect(await posts.count()).toBe(10);
    // Scrolling to the end loads the next page.
    await alice.locator('.sentinel').scrollIntoViewIfNeeded();
    await posts.nth(10).waitFor();

    const first = posts.first();
    const postId = (await first.getAttribute('data-post-id'))!;
    await first.locator('h2 button').click();
    await alice.getByText('← Back to the feed').waitFor();
    const comments = alice.locator('[data-testid=comment]');
    const before = await comments.count();

    await alice.fill('input[placeholder="Write a comment…"]', 'Great write-up, thanks!');
    await alice.getByRole('button', { name: 'Comment', exact: true }).click();
    await comments.filter({ hasText: 'Great write-up, thanks!' }).waitFor();

    // Someone else comments: it arrives through commentAdded.
    await agora.whenSubscribed(topics.post(postId));
    const bruno = await logIn('bruno_silva1');
    const other = await agora.gql(
      'mutation ($input: CreateCommentInput!) { createComment(input: $input) { comment { id } } }',
      { input: { postId, body: 'Agreed with Alice.' } },
      bruno.accessToken,
    );
    expect(other.body.errors).toBeUndefined();
    await comments.filter({ hasText: 'Agreed with Alice.' }).waitFor();
    expect(await comments.count()).toBe(before + 2);

    // A reaction: the button turns on and its count goes up by one.
    const love = alice.locator('[data-testid=post] button[title=LOVE]');
    const count = async () => Number((await love.textContent())!.replace('❤️', '').trim() || 0);
    const loves = await count();
    expect(await love.getAttribute('aria-pressed')).toBe('false');
    await love.click();
    await alice.locator('[data-testid=post] button[title=LOVE][aria-pressed=true]').waitFor();
    expect(await count()).toBe(loves + 1);

    await alice.screenshot({ path: screenshotPath('app-post') });

    // A reload keeps her signed in: the stored refresh token opens a new session.
    await alice.reload();
    await alice.locator('[data-testid=viewer]', { hasText: '@alice' }).waitFor();
    await posts.first().waitFor();
  });

  it('after the socket drops, a conversation catches up: reloaded while it has no cursor, then resumed from its last cursor', async () => {
    // The page's WebSockets, and a switch that points new ones at a URL that
    // refuses the upgrade (the network is "down" while it is on).
    const alice = await signIn(
      'alice',
      `{
        const Native = window.WebSocket;
        const state = { sockets: [], offline: false };
        window.__agoraTest = state;
        window.WebSocket = class extends Native {
          constructor(url, protocols) {
            super(state.offline ? '${app.url.replace('http', 'ws')}/offline' : url, protocols);
            state.sockets.push(this);
          }
        };
      }`,
    );
    await openChats(alice);
    await alice.click(`[data-conversation-id="${directId}"]`);
    await alice.locator('[data-testid=message]').first().waitFor();
    await agora.whenSubscribed(topics.conversation(directId));
    const resumedAfter: (string | undefined)[] = [];
    alice.on('websocket', (socket) =>
      socket.on('framesent', ({ payload }) => {
        const message = JSON.parse(String(payload));
        if (message.type === 'subscribe' && message.payload.operationName === 'MessageEvents')
          resumedAfter.push(message.payload.variables.after);
      }),
    );

    const bruno = await logIn('bruno_silva1');
    let sent = 0;
    const send = async (body: string) => {
      const res = await agora.gql(
        'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }',
        { input: { conversationId: directId, body, idempotencyKey: `browser-resume-${++sent}` } },
        bruno.accessToken,
      );
      expect(res.body.errors).toBeUndefined();
    };
    /** The socket drops and stays down while Bruno sends `body`; then the network is back. */
    const sendWhileOffline = async (body: string) => {
      await alice.evaluate(`window.__agoraTest.offline = true; for (const s of window.__agoraTest.sockets) s.close(4000, 'test')`);
      await send(body);
      await alice.evaluate('window.__agoraTest.offline = false');
    };
    const shownOnce = async (body: string) => {
      const message = alice.locator('[data-testid=message]', { hasText: body });
      await message.waitFor();
      expect(await message.count()).toBe(1);
    };

    // No event seen yet, so no cursor: the app subscribes again from now and reloads the conversation.
    await sendWhileOffline('Sent before you saw anything');
    await shownOnce('Sent before you saw anything');
    expect(resumedAfter).toEqual([undefined]);

    // One live event gives the subscription a cursor...
    await agora.whenSubscribed(topics.conversation(directId));
    await send('Live one');
    await shownOnce('Live one');
    // ...and after the next drop it resumes from it: the server replays what was missed.
    await sendWhileOffline('Sent while you were offline');
    await shownOnce('Sent while you were offline');
    expect(resumedAfter).toHaveLength(2);
    expect(resumedAfter[1]).toEqual(expect.any(String));
  });
});

const skipReason = browserSkipReason;
if (skipReason) {
  describe('the example web app in a browser', () => {
    it.skip(skipReason, () => {});
  });
}
