import { freePort } from './global-setup.ts';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { eventually } from './ws.ts';

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

export const redisClusterToolsAvailable = (() => {
  try {
    execFileSync('redis-cli', ['--version'], { stdio: 'ignore' });
    return redisServerAvailable;
  } catch {
    return false;
  }
})();

export interface PrivateRedisCluster {
  /** `host:port` of every node (masters and replicas), as REDIS_CLUSTER_NODES takes them. */
  nodes: string[];
  /** Client port of every node: `ports[i]` is node `i`. */
  ports: number[];
  /** Runs `redis-cli -p <ports[0]> <args>` and returns its output. */
  cli(...args: string[]): Promise<string>;
  /** Kills node `i` (SIGKILL). */
  stopNode(i: number): Promise<void>;
  /** Starts it again on the same ports and nodes file: it rejoins with its slots, empty. */
  startNode(i: number): Promise<void>;
  /**
   * Kills the master on `port` (SIGKILL) and returns the port of its
   * replica. The replica is held back (`cluster-replica-no-failover`) until
   * `promote()`, so a test acts while the master's slots have no master
   * however slow the machine is.
   */
  killMaster(port: number): Promise<number>;
  /**
   * Lets the held-back replica on `port` take over (the cluster's own
   * failover election) and resolves once every surviving node knows it as a
   * master and reports `cluster_state:ok`: polls CLUSTER NODES and CLUSTER
   * INFO, rejects after `timeoutMs`.
   */
  promote(port: number, timeoutMs?: number): Promise<void>;
  /** Kills every node and deletes their files. */
  destroy(): Promise<void>;
}

export interface PrivateRedisClusterOptions {
  /** Replicas per master (`--cluster-replicas`): 0 (three nodes) or 1 (six nodes). */
  replicas?: 0 | 1;
  /** `cluster-node-timeout`: how long a master may be silent before its replica takes over. */
  nodeTimeoutMs?: number;
}

const execFileAsync = promisify(execFile);

/** One line of CLUSTER NODES: `<id> <ip:port@bus> <flags> <master id or -> ...`. */
function clusterNodeLines(output: string): { id: string; port: number; flags: string[]; masterId: string }[] {
  return output
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, masterId] = line.split(' ');
      return { id: id!, port: Number(address!.split('@')[0]!.split(':')[1]), flags: flags!.split(','), masterId: masterId! };
    });
}

/**
 * Three masters, optionally each with a replica, on free ports, each node
 * with its cluster bus on a free port of its own (`cluster-port`), joined by
 * `redis-cli --cluster create`; resolves once every node reports
 * `cluster_state:ok` and every replica is in sync with its master.
 */
export async function startPrivateRedisCluster(options: PrivateRedisClusterOptions = {}): Promise<PrivateRedisCluster> {
  const count = 3 * (1 + (options.replicas ?? 0));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agora-redis-cluster-'));
  const ports: number[] = [];
  while (ports.length < 2 * count) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const [clientPorts, busPorts] = [ports.slice(0, count), ports.slice(count)];
  const children: (ChildProcess | undefined)[] = [];
  async function startNode(i: number): Promise<void> {
    const port = String(clientPorts[i]);
    const child = spawn(
      'redis-server',
      ['--port', port, '--cluster-port', String(busPorts[i]), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'].concat([
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        String(options.nodeTimeoutMs ?? 15_000),
        // A replica may take over however long ago it last heard its master.
        '--cluster-replica-validity-factor',
        '0',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ]),
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children[i] = child;
    await printed(child, 'Ready to accept connections');
  }
  async function stopNode(i: number): Promise<void> {
    const child = children[i];
    children[i] = undefined;
    if (!child) return;
    child.kill('SIGKILL');
    await exited(child);
  }
  const cli = async (port: number, ...args: string[]) => (await execFileAsync('redis-cli', ['-p', String(port), ...args])).stdout;
  const alive = () => clientPorts.filter((_, i) => children[i] !== undefined);
  const nodes = clientPorts.map((port) => `127.0.0.1:${port}`);
  const healthy = async () =>
    (await Promise.all(alive().map((p) => cli(p, 'cluster', 'info')))).every((info) => info.includes('cluster_state:ok'));
  const replicasInSync = async () =>
    (await Promise.all(alive().map((p) => cli(p, 'info', 'replication')))).every(
      (info) => info.includes('role:master') || info.includes('master_link_status:up'),
    );
  await Promise.all(clientPorts.map((_, i) => startNode(i)));
  await execFileAsync('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', String(options.replicas ?? 0), '--cluster-yes']);
  await eventually(async () => (await healthy()) && (await replicasInSync()), 30_000);
  return {
    nodes,
    ports: clientPorts,
    cli: (...args) => cli(clientPorts[0]!, ...args),
    stopNode,
    async startNode(i) {
      await startNode(i);
      await eventually(healthy, 20_000);
    },
    async killMaster(port) {
      const lines = clusterNodeLines(await cli(port, 'cluster', 'nodes'));
      const master = lines.find((n) => n.flags.includes('myself'))!;
      const replica = lines.find((n) => n.masterId === master.id);
      if (!master.flags.includes('master') || !replica) throw new Error(`node on ${port} is not a master with a replica`);
      await cli(replica.port, 'config', 'set', 'cluster-replica-no-failover', 'yes');
      await stopNode(clientPorts.indexOf(port));
      return replica.port;
    },
    async promote(port, timeoutMs = 30_000) {
      await cli(port, 'config', 'set', 'cluster-replica-no-failover', 'no');
      await eventually(async () => {
        const views = await Promise.all(alive().map((p) => cli(p, 'cluster', 'nodes')));
        const promoted = views.every((view) => clusterNodeLines(view).some((n) => n.port === port && n.flags.includes('master')));
        return promoted && (await healthy());
      }, timeoutMs);
    },
    async destroy() {
      await Promise.all(clientPorts.map((_, i) => stopNode(i)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateSentinel {
  /** `host:port` of the Sentinel, as REDIS_SENTINELS takes it. */
  node: string;
  /** Kills it and deletes its files. */
  destroy(): Promise<void>;
}

/** One Sentinel (`redis-server --sentinel`) on a free port, monitoring the master on `masterPort` as `name`. */
export async function startPrivateSentinel(masterPort: number, name: string): Promise<PrivateSentinel> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agora-sentinel-'));
  const port = await freePort();
  const conf = path.join(dir, 'sentinel.conf');
  // Sentinel rewrites its config file: it must be writable.
  writeFileSync(
    conf,
    [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`, ''].join('\n'),
  );
  const child = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await printed(child, `+monitor master ${name}`);
  return {
    node: `127.0.0.1:${port}`,
    async destroy() {
      child.kill('SIGKILL');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const pgbouncerAvailable = (() => {
  try {
    execFileSync('pgbouncer', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export interface PrivatePgBouncer {
  port: number;
  /** `databaseUrl` (any database on the target server) as seen through the bouncer. */
  urlFor(databaseUrl: string): string;
  destroy(): Promise<void>;
}

/**
 * PgBouncer in transaction pooling mode on a free port, in front of the
 * PostgreSQL at `target` (every database, trust auth), with `poolSize`
 * server connections per database and user. Runs as `postgres` when root
 * (PgBouncer refuses root).
 */
export async function startPrivatePgBouncer(targetUrl: string, poolSize: number): Promise<PrivatePgBouncer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agora-pgbouncer-'));
  const port = await freePort();
  const ini = path.join(dir, 'pgbouncer.ini');
  const target = new URL(targetUrl);
  const user = decodeURIComponent(target.username || 'postgres');
  // The bouncer logs in to the server with this password (the embedded
  // PostgreSQL of a run without TEST_DATABASE_URL asks for one); clients
  // are trusted.
  writeFileSync(path.join(dir, 'userlist.txt'), `"${user}" "${decodeURIComponent(target.password)}"\n`);
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${target.hostname} port=${target.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 500',
      '',
    ].join('\n'),
  );
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chmodSync(dir, 0o755);
  const child = spawn('pgbouncer', asRoot ? ['-u', 'postgres', ini] : [ini], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-2_000)));
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}: ${log}`);
    const client = new pg.Client({ connectionString: `postgresql://${encodeURIComponent(user)}@127.0.0.1:${port}/postgres` });
    return client.connect().then(
      () => client.end().then(() => true),
      () => null,
    );
  }, 10_000);
  return {
    port,
    urlFor(databaseUrl) {
      const url = new URL(databaseUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    async destroy() {
      child.kill('SIGTERM');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
