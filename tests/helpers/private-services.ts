import { freePort } from './global-setup.ts';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * Redis and PostgreSQL servers private to one test file, on free ports, so
 * fault tests can stop and restart them without touching shared services.
 */

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Resolves when `child` prints `marker` on stdout; rejects if it exits first. */
function printed(child: ChildProcess, marker: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(marker)) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before "${marker}": ${out.slice(-500)}`)));
  });
}

export { freePort };

export const redisServerAvailable = (() => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops the server (the port stays reserved for `start()`). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open, commands get no answer. */
  pause(): void;
  /** Unfreezes a paused server (SIGCONT). */
  resume(): void;
  /** Resumes it if paused, starts it if stopped: for teardown, so clients close cleanly. */
  ensureUp(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  async function start(): Promise<void> {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await printed(child, 'Ready to accept connections');
  }
  async function stop(): Promise<void> {
    if (!child) return;
    const c = child;
    child = undefined;
    c.kill('SIGKILL');
    await exited(c);
  }
  const signal = (name: NodeJS.Signals) => {
    if (!running()) throw new Error(`private redis-server is not running (${name})`);
    child!.kill(name);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async ensureUp() {
      if (running()) child!.kill('SIGCONT');
      else await start();
    },
  };
}

export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const postgresAvailable = existsSync(path.join(PG_BIN, 'pg_ctl'));

export interface PrivatePostgres {
  /** Admin URL (database `postgres`). */
  adminUrl: string;
  port: number;
  /** Creates a database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>;
}

/** A temporary directory the `postgres` OS user owns (when run as root), and a runner of the server binaries as that user. */
function postgresWorkspace(prefix: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(dir, 0o755);
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const run = (bin: string, args: string[]) => {
    const argv = [path.join(PG_BIN, bin), ...args];
    if (asRoot) execFileSync('su', ['postgres', '-c', argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')], { stdio: 'pipe' });
    else execFileSync(argv[0]!, argv.slice(1), { stdio: 'pipe' });
  };
  return { dir, data: path.join(dir, 'data'), run };
}

/** pg_ctl start/stop of the cluster in `data` on `port` (sockets and log in `dir`). */
function serverControl(ws: ReturnType<typeof postgresWorkspace>, port: number) {
  const opts = `-p ${port} -k ${ws.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50 -c wal_level=replica -c max_wal_senders=5`;
  return {
    start: async () => ws.run('pg_ctl', ['-D', ws.data, '-o', opts, '-l', path.join(ws.dir, 'log'), '-w', 'start']),
    stop: async () => ws.run('pg_ctl', ['-D', ws.data, '-m', 'immediate', '-w', 'stop']),
  };
}

/**
 * PostgreSQL 15 from the Debian binaries, as the `postgres` OS user when run
 * as root. Ready to be a streaming primary (initdb's trust rules admit
 * replication connections from 127.0.0.1; wal_level is `replica`).
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const port = await freePort();
  const ws = postgresWorkspace('agora-fault-pg-');
  ws.run('initdb', ['-D', ws.data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const { start, stop } = serverControl(ws, port);
  await start();
  const adminUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  return {
    adminUrl,
    port,
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      return `postgresql://postgres@127.0.0.1:${port}/${name}`;
    },
    start,
    stop,
    async destroy() {
      await stop().catch(() => {});
      rmSync(ws.dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateReplica {
  port: number;
  /** URL of `database` on the replica (read-only). */
  urlOf(database: string): string;
  /** Stops replaying WAL (pg_wal_replay_pause): the replica keeps answering with what it has. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** A streaming hot standby of `primary` (pg_basebackup -R), on its own free port. */
export async function startPrivateReplica(primary: PrivatePostgres): Promise<PrivateReplica> {
  const port = await freePort();
  const ws = postgresWorkspace('agora-fault-replica-');
  ws.run('pg_basebackup', [
    '-R',
    '-D',
    ws.data,
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'postgres',
    '-X',
    'stream',
    '-c',
    'fast',
  ]);
  const { start, stop } = serverControl(ws, port);
  await start();
  const adminUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    port,
    urlOf: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    pauseReplay: () => admin('SELECT pg_wal_replay_pause()'),
    resumeReplay: () => admin('SELECT pg_wal_replay_resume()'),
    start,
    stop,
    async destroy() {
      await stop().catch(() => {});
      rmSync(ws.dir, { recursive: true, force: true });
    },
  };
}
