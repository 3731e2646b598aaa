import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { withDatabase } from './helpers/global-setup.ts';
import { freePort } from './helpers/private-services.ts';
import { createTestDatabase, within } from './helpers/server.ts';

// The real entry point, as `npm start` runs it: what an operator sees when
// Agora cannot start, and when it stops.
const ROOT = path.resolve(import.meta.dirname, '..');
const children: ChildProcess[] = [];
const cleanups: (() => unknown)[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Run {
  child: ChildProcess;
  /** Everything written so far, stdout and stderr. */
  output(): string;
  /** Resolves once `text` has been written. */
  printed(text: string): Promise<void>;
  exit: Promise<number | null>;
}

function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'info', SEED: 'never', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let text = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const append = (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of waiters.filter((w) => text.includes(w.text))) w.resolve();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    printed: (wanted) => (text.includes(wanted) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text: wanted, resolve }))),
    exit,
  };
}

/** The output of a start that must fail: exit code 1 and exactly one "failed to start" line, no stack trace, no error-level log line. */
async function failedStart(env: Record<string, string>): Promise<{ line: string; output: string }> {
  const started = run(env);
  const code = await within(started.exit, 60_000, 'the failed start did not exit');
  const output = started.output();
  expect(code, output).toBe(1);
  const lines = output.split('\n').filter((line) => line.includes('Agora failed to start'));
  expect(lines, output).toHaveLength(1);
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toContain('"level":"error"');
  expect(output).not.toContain('TypeError');
  return { line: lines[0]!, output };
}

/** A TCP server that accepts connections and never answers (or, closed at once, a port with nothing behind it). */
async function occupiedPort(): Promise<{ port: number }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as { port: number }).port };
}

/** An empty database (not the migrated template): a start that got as far as migrating would leave tables behind. */
async function emptyDatabase(): Promise<string> {
  const name = `agora_startup_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  cleanups.push(async () => {
    const dropper = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS "${name}"`).finally(() => dropper.end());
  });
  return withDatabase(inject('pgAdminUrl'), name);
}

async function tables(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`);
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

describe('start-up failures: one line naming the cause and the setting', () => {
  it('a taken HTTP port names PORT, before anything is migrated', async () => {
    const { port } = await occupiedPort();
    const databaseUrl = await emptyDatabase();
    const { line } = await failedStart({ PORT: String(port), DATABASE_URL: databaseUrl });
    expect(line).toBe(
      `Agora failed to start: PORT: 127.0.0.1:${port} is already in use (another Agora or another program?); set PORT to a free port`,
    );
    expect(await tables(databaseUrl)).toEqual([]);
  });

  it('an unreachable DATABASE_URL is named with its host:port, not its password, and nothing is migrated or seeded', async () => {
    const port = await freePort(); // nothing listens there
    const { line, output } = await failedStart({ DATABASE_URL: `postgresql://agora:s3cret-pw@127.0.0.1:${port}/agora`, SEED: 'always' });
    expect(line).toBe(`Agora failed to start: DATABASE_URL: cannot connect to 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(output).not.toContain('s3cret-pw');
    expect(output).not.toMatch(/migrat|seed/i);
  });

  it('an unreachable DATABASE_DIRECT_URL (the server behind a PgBouncer) is named too, before anything is migrated', async () => {
    const port = await freePort(); // nothing listens there
    const databaseUrl = await emptyDatabase();
    const { line } = await failedStart({
      DATABASE_URL: databaseUrl,
      DATABASE_DIRECT_URL: `postgresql://agora:s3cret-pw@127.0.0.1:${port}/agora`,
    });
    expect(line).toBe(`Agora failed to start: DATABASE_DIRECT_URL: cannot connect to 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(await tables(databaseUrl)).toEqual([]);
  });

  it('a DATABASE_URL that accepts but never answers fails within the check timeout instead of hanging', async () => {
    const { port } = await occupiedPort();
    const started = Date.now();
    const { line } = await failedStart({ DATABASE_URL: `postgresql://agora@127.0.0.1:${port}/agora` });
    expect(line).toBe(`Agora failed to start: DATABASE_URL: cannot connect to 127.0.0.1:${port} (no answer within 10000 ms)`);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 40_000);

  it('an unreachable REDIS_URL is named, and the database is neither migrated nor seeded', async () => {
    const port = await freePort();
    const databaseUrl = await emptyDatabase();
    const { line, output } = await failedStart({
      DATABASE_URL: databaseUrl,
      REDIS_URL: `redis://:r3dis-pw@127.0.0.1:${port}`,
      SEED: 'always',
    });
    expect(line).toBe(`Agora failed to start: REDIS_URL: cannot connect to 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(output).not.toContain('r3dis-pw');
    expect(output).not.toMatch(/migrat|seed/i);
    expect(await tables(databaseUrl)).toEqual([]);
  });

  it('unreachable REDIS_CLUSTER_NODES or REDIS_SENTINELS are named', async () => {
    const port = await freePort();
    const databaseUrl = await emptyDatabase();
    const cluster = await failedStart({ DATABASE_URL: databaseUrl, REDIS_CLUSTER_NODES: `127.0.0.1:${port}` });
    expect(cluster.line).toMatch(new RegExp(`^Agora failed to start: REDIS_CLUSTER_NODES: cannot connect to 127\\.0\\.0\\.1:${port} \\(`));
    const sentinel = await failedStart({ DATABASE_URL: databaseUrl, REDIS_SENTINELS: `127.0.0.1:${port}`, REDIS_SENTINEL_NAME: 'm' });
    expect(sentinel.line).toMatch(
      new RegExp(`^Agora failed to start: REDIS_SENTINELS: cannot connect to 127\\.0\\.0\\.1:${port} \\(master "m"\\) \\(`),
    );
    expect(await tables(databaseUrl)).toEqual([]);
  });
});

describe('a clean stop', () => {
  it('SIGTERM drains and exits 0 with no error-level log line', async () => {
    const server = run({ DATABASE_URL: await createTestDatabase(), REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
    await within(server.printed('Agora is running'), 30_000, `the server did not start: ${server.output()}`);
    server.child.kill('SIGTERM');
    expect(await within(server.exit, 30_000, 'the server did not stop')).toBe(0);
    expect(server.output()).toContain('"msg":"shutdown complete"');
    expect(server.output()).not.toContain('"level":"error"');
  }, 60_000);
});

describe('embedded PostgreSQL', () => {
  it('a second start on the same DATA_DIR names DATA_DIR; a taken EMBEDDED_PG_PORT names it; the first stops cleanly', async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'agora-startup-'));
    chmodSync(parent, 0o755); // as root, PostgreSQL runs as "postgres" and must reach the folder
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    const dataDir = path.join(parent, 'data');
    const first = run({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) });
    await within(first.printed('Agora is running'), 60_000, `the embedded start did not finish: ${first.output()}`);

    const locked = await failedStart({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) });
    expect(locked.line).toMatch(/^Agora failed to start: DATA_DIR: .* is in use by another PostgreSQL \(PID \d+\).*set DATA_DIR/);

    first.child.kill('SIGTERM');
    expect(await within(first.exit, 30_000, 'the embedded server did not stop')).toBe(0);
    expect(first.output()).toContain('"msg":"shutdown: embedded PostgreSQL stopped"');
    expect(first.output()).not.toContain('"level":"error"');

    const { port } = await occupiedPort();
    const taken = await failedStart({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(port) });
    expect(taken.line).toBe(
      `Agora failed to start: EMBEDDED_PG_PORT: port ${port} on 127.0.0.1 is already in use; set EMBEDDED_PG_PORT to a free port`,
    );
  }, 120_000);
});
