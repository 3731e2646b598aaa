import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Logger } from '../../src/lib/logger.ts';

export interface LogEntry {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** A logger that keeps every line, so tests can assert what the server logged. */
function captureLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const write = (level: string) => (msg: string, data?: Record<string, unknown>) => void entries.push({ level, msg, ...data });
  return { entries, debug: () => {}, info: write('info'), warn: write('warn'), error: write('error') };
}

/** A real server over `databaseUrl` whose log lines are captured. */
export async function startFaultServer(databaseUrl: string, env: Record<string, string> = {}) {
  const logger = captureLogger();
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', ...env });
  const app: App = buildApp(config, logger);
  await app.start();
  const url = app.url;
  return {
    app,
    url,
    logs: logger.entries,
    async gql(query: string, variables?: Record<string, unknown>, token?: string) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return {
        status: res.status,
        headers: res.headers,
        body: (await res.json()) as { data?: any; errors?: { message: string; extensions: Record<string, any> }[] },
      };
    },
    stop: () => app.stop(),
  };
}
