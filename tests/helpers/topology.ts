import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import path from 'node:path';
import type { GraphQLResponse } from './server.ts';
import { within } from './server.ts';
import { eventually } from './ws.ts';

/**
 * The deployed topology of compose.yaml without containers: Agora instances
 * as real server processes (src/main.ts, as the image runs it) and HAProxy
 * from the repository's deploy/haproxy.cfg, all on loopback ports.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');

export const haproxyAvailable = spawnSync('haproxy', ['-v']).error === undefined;

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Collects a child's output lines and resolves waiters on the first line containing a text. */
function lineWatcher(stream: NodeJS.ReadableStream) {
  const lines: string[] = [];
  const waiters: { text: string; resolve: (line: string) => void }[] = [];
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.filter((w) => line.includes(w.text))) w.resolve(line);
    }
  });
  return {
    lines,
    /** The first line containing `text`, already printed or to come. */
    seen(text: string): Promise<string> {
      const line = lines.find((l) => l.includes(text));
      return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => waiters.push({ text, resolve }));
    },
  };
}

export interface AgoraProcess {
  name: string;
  port: number;
  /** Direct URL of this instance (tests use it only to read /metrics and /ready). */
  url: string;
  /** Log lines (JSON) the server wrote. */
  logs: string[];
  /** True once SIGTERM or SIGKILL was sent. */
  readonly stopped: boolean;
  /** Sends SIGTERM and resolves with the exit once the server has drained. */
  terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, for teardown. */
  kill(): Promise<void>;
}

/** `node --import tsx src/main.ts` with `env` on `port`; resolves once it announces itself. */
export async function startAgoraProcess(name: string, port: number, env: Record<string, string>): Promise<AgoraProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), SEED: 'never', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = lineWatcher(child.stdout!);
  const err = lineWatcher(child.stderr!);
  const exit = exitOf(child);
  const running = out.seen('Agora is running');
  const failed = exit.then(({ code }) => {
    throw new Error(`${name} exited with ${code} before start-up:\n${err.lines.slice(-20).join('\n')}`);
  });
  await within(Promise.race([running, failed]), 60_000, `${name} start-up`);
  let stopped = false;
  return {
    get stopped() {
      return stopped;
    },
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    logs: err.lines,
    async terminate() {
      stopped = true;
      child.kill('SIGTERM');
      return within(exit, 30_000, `${name} exit after SIGTERM`);
    },
    async kill() {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };
}

export interface Balancer {
  url: string;
  /** HAProxy's log lines (server state changes among them). */
  lines: string[];
  /** Resolves once HAProxy logs `server` (e.g. "agora-1") going `state` ("UP" or "DOWN"), before or after this call. */
  serverState(server: string, state: 'UP' | 'DOWN'): Promise<string>;
  stop(): Promise<void>;
}

/**
 * HAProxy running deploy/haproxy.cfg unchanged: only the listen address and
 * the instances' addresses differ from the compose stack, through the
 * variables the file reads (AGORA_LB_BIND, AGORA_1_ADDR, AGORA_2_ADDR).
 */
export async function startBalancer(port: number, instances: [AgoraProcess, AgoraProcess]): Promise<Balancer> {
  const child = spawn('haproxy', ['-db', '-f', path.join(ROOT, 'deploy/haproxy.cfg')], {
    env: {
      PATH: process.env.PATH,
      AGORA_LB_BIND: `127.0.0.1:${port}`,
      AGORA_1_ADDR: `127.0.0.1:${instances[0].port}`,
      AGORA_2_ADDR: `127.0.0.1:${instances[1].port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = lineWatcher(child.stdout!);
  const err = lineWatcher(child.stderr!);
  const exit = exitOf(child);
  const url = `http://127.0.0.1:${port}`;
  // Listening, and passing requests on: /health answers through it.
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${err.lines.join('\n')}`);
    return (await httpRequest(`${url}/health`)).status === 200;
  }, 20_000);
  return {
    url,
    lines: out.lines,
    serverState: (server, state) => {
      const text = `agora/${server} is ${state}`;
      return Promise.race([out.seen(text), err.seen(text)]);
    },
    async stop() {
      child.kill('SIGTERM');
      await exit;
    },
  };
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Source address of the connection (any 127.x.y.z on loopback), to act as distinct clients. */
  from?: string;
}

/** One HTTP request on a fresh connection (node:http, so the source address can be chosen). */
export function httpRequest(
  url: string,
  options: HttpOptions = {},
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: { connection: 'close', ...options.headers }, localAddress: options.from, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A GraphQL POST to `baseUrl`/graphql. */
export async function graphql<T = Record<string, any>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; from?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<T>> {
  const res = await httpRequest(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
    from: options.from,
  });
  return { status: res.status, headers: new Headers(res.headers as Record<string, string>), body: JSON.parse(res.text) };
}

/**
 * How many times an instance has run the operation named `operation`
 * (agora_graphql_operations_total on its /metrics, all outcomes): tests
 * name their operations uniquely to learn which instance the balancer chose.
 */
export async function operationCount(instance: AgoraProcess, operation: string, metricsToken: string): Promise<number> {
  if (instance.stopped) return 0; // its listener is closed: it runs nothing new
  const res = await httpRequest(`${instance.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
  if (res.status !== 200) throw new Error(`/metrics of ${instance.name}: ${res.status}`);
  let total = 0;
  for (const line of res.text.split('\n')) {
    if (line.startsWith('agora_graphql_operations_total{') && line.includes(`operation="${operation}"`)) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}
