// Starts each server under test in its own child process (pinned to a CPU
// with taskset when available) and talks to it over the IPC channel.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildStats } from './servers/ipc.ts';

export type PeerName = 'physical' | 'naive' | 'postgraphile' | 'agora';

export interface ServerHandle {
  peer: PeerName;
  url: string;
  pid: number;
  /** Counters and memory (after a GC if `gc`); `resetLoopDelay` starts a new event-loop delay window after this reply's figures. */
  stats(gc?: boolean, resetLoopDelay?: boolean): Promise<ChildStats>;
  /** Starts the server's CPU profiler (sampling every `intervalUs`); Node servers with bench/servers/ipc.ts only. */
  startProfile(intervalUs: number): Promise<void>;
  /** Stops it and has the server write the profile to `file` (.cpuprofile JSON). */
  stopProfile(file: string): Promise<void>;
  /** Resident set size from /proc (what the OS charges the process). */
  rssBytes(): number;
  /** CPU time (user + system) the process has used so far, in ms, from /proc. */
  cpuMs(): number;
  stop(): Promise<void>;
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

export const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** Pins this (load generator) process to a CPU, away from the servers. */
export function pinSelf(cpu: number): void {
  if (hasTaskset) spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

export interface StartOptions {
  databaseUrl: string;
  poolSize: number;
  cpu: number | null;
  node22?: string;
  env?: Record<string, string>;
  /** Directory for `node --cpu-prof` output (Agora only). */
  cpuProfDir?: string;
}

const here = import.meta.dirname;

/** The Node flags Agora's own `npm start` uses (e.g. GC tuning), so the bench runs Agora as deployed. */
function startScriptNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.resolve(here, '../package.json'), 'utf8')) as { scripts: Record<string, string> };
  return pkg.scripts.start!.split(/\s+/).filter((token) => /^--[a-z-]+(=\S+)?$/.test(token));
}

export async function startServer(peer: PeerName, options: StartOptions): Promise<ServerHandle> {
  const tsx = ['--import', 'tsx'];
  const nodeArgs = [
    '--expose-gc',
    ...(peer === 'agora' ? startScriptNodeFlags() : []),
    ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []),
  ];
  const [binary, args] =
    peer === 'postgraphile'
      ? [options.node22!, [...nodeArgs, path.join(here, 'peers/postgraphile.mjs')]]
      : [process.execPath, [...tsx, ...nodeArgs, path.join(here, `servers/${peer}.ts`)]];
  const command = hasTaskset && options.cpu !== null ? 'taskset' : binary;
  const fullArgs = hasTaskset && options.cpu !== null ? ['-c', String(options.cpu), binary, ...args] : args;
  const child: ChildProcess = spawn(command, fullArgs, {
    cwd: path.resolve(here, '..'),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      DB_POOL_SIZE: String(options.poolSize),
      PORT: '0',
      NODE_ENV: 'production',
      ...options.env,
    },
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${peer} did not start within 120 s`)), 120_000);
    child.once('exit', (code) => reject(new Error(`${peer} exited with ${code} before it was ready`)));
    child.on('message', (m: { type: string; url?: string }) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.url!);
      }
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  /** Sends `message` and resolves with the child's first reply of type `replyType`. */
  const ask = <T extends { type: string }>(message: object, replyType: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${peer} ${replyType} timed out`)), 30_000);
      const onMessage = (m: T) => {
        if (m.type !== replyType) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      child.send(message);
    });
  const profile = async (message: object) => {
    const reply = await ask<{ type: string; error?: string }>({ type: 'profile', ...message }, 'profiled');
    if (reply.error) throw new Error(`${peer} profiler: ${reply.error}`);
  };
  return {
    peer,
    url,
    pid: child.pid!,
    stats: (gc = false, resetLoopDelay = false) => ask<ChildStats>({ type: 'stats', gc, resetLoopDelay }, 'stats'),
    startProfile: (intervalUs) => profile({ action: 'start', intervalUs }),
    stopProfile: (file) => profile({ action: 'stop', file }),
    rssBytes() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    cpuMs() {
      // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name.
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
