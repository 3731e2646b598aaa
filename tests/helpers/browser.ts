import { existsSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/**
 * Headless Chromium for the browser tests, driven by playwright-core.
 * The browser is the system's (Debian's `chromium`; .ci/run installs it), or
 * CHROMIUM_PATH. Playwright's own browser downloads are not used: they need
 * the internet. Without a browser the browser tests are skipped, and
 * `browserSkipReason` says why.
 */
const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const executablePath = candidates.find((candidate): candidate is string => Boolean(candidate && existsSync(candidate)));

export const browserSkipReason = executablePath
  ? undefined
  : 'no Chromium found (install Debian\'s "chromium" package, or set CHROMIUM_PATH): browser tests skipped';

export async function launchBrowser(): Promise<Browser> {
  if (!executablePath) throw new Error(browserSkipReason);
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      // Chromium's own background traffic (updates, sync, safe browsing) would
      // otherwise look like the page reaching other hosts.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where screenshots go (git-ignored): test-results/screenshots/<name>.png. */
export function screenshotPath(name: string): string {
  const dir = path.resolve('test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}
