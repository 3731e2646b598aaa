// Agora itself, as production would start it, with SQL_STATS=1 so each
// response reports its SQL statement count in `extensions.sqlStatements`.
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { announceReady, countStatements } from './ipc.ts';

countStatements();

const config = loadConfig({
  ...process.env,
  NODE_ENV: 'production',
  SQL_STATS: '1',
  SEED: 'never',
  LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
  HOST: '127.0.0.1',
  // The bench drives thousands of requests and sockets from one address:
  // budgets and anonymous socket caps off unless a run sets them.
  RATE_LIMIT_POINTS: process.env.RATE_LIMIT_POINTS || '0',
  RATE_LIMIT_WRITES: process.env.RATE_LIMIT_WRITES || '0',
  WS_MAX_ANONYMOUS_SOCKETS_PER_ADDRESS: process.env.WS_MAX_ANONYMOUS_SOCKETS_PER_ADDRESS || '0',
  WS_MAX_ANONYMOUS_SOCKETS: process.env.WS_MAX_ANONYMOUS_SOCKETS || '0',
});
const app = buildApp(config, createLogger(config.logLevel));
await app.start();
announceReady(app.url, () => app.stop());
