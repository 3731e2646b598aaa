import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type AppConfig } from './config.ts';
import { DEMO_LOGIN } from './db/seed.ts';
import { createLogger } from './lib/logger.ts';
import { describeStartupError, StartupError } from './lib/startup-errors.ts';

let config: AppConfig;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config.logLevel);
const app = buildApp(config, logger);

// Shutdown owns SIGINT/SIGTERM: the app drains in order (see App.stop), within
// SHUTDOWN_GRACE_MS; a second signal, or the grace period running out with
// something still stuck, forces the exit.
//
// One Ctrl-C under `npm start` arrives several times within milliseconds:
// from the terminal (to the whole process group), forwarded by npm, and
// relayed by tsx. A repeat of the same signal that soon is that same request.
const REPEAT_WINDOW_MS = 1_000;
let stopping: { signal: string; at: number } | null = null;
async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    if (signal === stopping.signal && Date.now() - stopping.at < REPEAT_WINDOW_MS) return;
    logger.warn('second signal: exiting now', { signal });
    process.exit(1);
  }
  stopping = { signal, at: Date.now() };
  logger.info('shutting down', { signal, graceMs: config.faults.shutdownGraceMs });
  // Connections still open at the deadline are forced closed inside stop();
  // this backstop covers a close that never returns.
  const backstop = setTimeout(() => {
    logger.error('shutdown did not finish in time: exiting now');
    process.exit(1);
  }, config.faults.shutdownGraceMs + 5_000);
  backstop.unref();
  try {
    // A signal during start-up stops what has started once start() settles
    // (stopping halfway could leave the embedded PostgreSQL running).
    await started;
    await app.stop();
    logger.info('shutdown complete');
    process.exit(0);
  } catch (error) {
    logger.error('shutdown failed', { error: String(error) });
    process.exit(1);
  }
}

const started = app.start().then(announce, failedStart);
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

/**
 * Takes down what did start (bounded), then prints one line naming the
 * cause, last so it is what the operator sees; the stack only at debug level.
 */
async function failedStart(error: unknown): Promise<never> {
  if (!(error instanceof StartupError)) logger.debug('start-up failure', { stack: (error as Error | undefined)?.stack });
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise((resolve) => (timer = setTimeout(resolve, config.faults.shutdownGraceMs + 5_000)));
  await Promise.race([app.stop().catch(() => {}), bound]);
  clearTimeout(timer);
  console.error(`Agora failed to start: ${describeStartupError(error)}`);
  process.exit(1);
}

function announce(): void {
  if (stopping) return;
  const lines = [`Agora is running: GraphQL over HTTP and WebSocket at ${app.url}/graphql`];
  if (config.exposure.ideEnabled) {
    // The IDE reads the schema by introspection; the SDL is served either way.
    const docs = config.operationLimits.introspection ? '' : ' (GRAPHQL_INTROSPECTION is off: no docs or completion)';
    lines.push(`IDE: open ${app.url}/graphql in a browser${docs}; schema at ${app.url}/schema.graphql`);
  }
  lines.push(
    `Health: ${app.url}/health`,
    app.info.embedded ? `Database: embedded PostgreSQL under ${config.dataDir}` : 'Database: DATABASE_URL',
  );
  if (app.info.embedded) lines.push(`Demo login: username "${DEMO_LOGIN.username}", password "${DEMO_LOGIN.password}"`);
  console.log(lines.join('\n'));
}
