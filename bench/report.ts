// Turns a run's results into the JSON record and the Markdown table in bench/README.md.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem, release } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PeerName } from './harness.ts';
import type { RunResult } from './load.ts';
import { cpuGapMarkdown, cpuSplitMarkdown, type WorkloadCpuSplit } from './cpu-split.ts';
import { seqScanMarkdown, type WorkloadSeqScans } from './seq-scans.ts';
import type { FanoutResult } from './subscriptions.ts';
import { WORKLOAD_TITLES, type WorkloadName } from './workloads.ts';

export interface HttpEntry {
  workload: WorkloadName;
  peer: PeerName;
  /** `cached`: Agora with its shared response cache on (a second process, same run); absent otherwise. */
  variant?: 'cached';
  runs: RunResult[];
  median: RunResult;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  mode: 'quick' | 'full';
  machine: Record<string, string | number>;
  settings: Record<string, unknown>;
  dataset: Record<string, unknown>;
  http: HttpEntry[];
  /** Agora's SQL statements for one W2 request, by page size. */
  w2StatementsByPageSize: Record<string, number>;
  w5: FanoutResult[];
  w5Note: string;
  /** Sequential scans per table during each of Agora's workloads (absent in older results). */
  seqScans?: WorkloadSeqScans[];
  /** Where Agora's CPU went in each HTTP workload, from a profiled phase (absent in older results). */
  cpuSplits?: WorkloadCpuSplit[];
  skipped: Record<string, string>;
  targets: Target[];
}

export function machineInfo(postgresVersion: string, node22: string | null): Record<string, string | number> {
  let load = '';
  try {
    load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    /* not Linux */
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    // Relative to the project: the report names no folder of the machine it ran on.
    node22: node22 ? path.relative(process.cwd(), node22) : 'n/a',
    postgres: postgresVersion,
    loadAverageAtStart: load,
    autocannon: JSON.parse(readFileSync('node_modules/autocannon/package.json', 'utf8')).version,
    // The peer lives in bench/peers (its own install); its declared version when not installed.
    postgraphile: JSON.parse(readFileSync('bench/peers/package.json', 'utf8')).dependencies.postgraphile,
    gitCommit: gitCommit(),
  };
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const PEER_LABEL: Record<PeerName, string> = {
  physical: 'physical limit (pg, 1 SQL)',
  naive: 'naive Apollo + Prisma',
  postgraphile: 'PostGraphile 5',
  agora: '**Agora**',
};

/** The cached variant shares its peer's name: every comparison takes the plain row. */
const plain = (e: HttpEntry) => e.variant === undefined;
const labelOf = (e: HttpEntry) => (e.variant === 'cached' ? `${PEER_LABEL[e.peer]}, response cache on` : PEER_LABEL[e.peer]);

const fmt = (n: number | null | undefined, digits = 0) => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(digits));

export function evaluateTargets(r: Pick<BenchReport, 'http' | 'w2StatementsByPageSize' | 'w5'>): Target[] {
  const rps = (w: WorkloadName, p: PeerName) => r.http.find((e) => e.workload === w && e.peer === p && plain(e))?.median.rps;
  const ratio = (w: WorkloadName, p: PeerName) => {
    const a = rps(w, 'agora');
    const b = rps(w, p);
    return a && b ? a / b : null;
  };
  const targets: Target[] = [];
  const sql = Object.values(r.w2StatementsByPageSize);
  targets.push({
    name: 'W2 SQL statements/request',
    goal: '<= 5, same for every page size',
    measured:
      Object.entries(r.w2StatementsByPageSize)
        .map(([k, v]) => `${v} (first: ${k})`)
        .join(', ') || 'n/a',
    met: sql.length ? Math.max(...sql) <= 5 && new Set(sql).size === 1 : null,
  });
  const cpu = (w: WorkloadName, p: PeerName) =>
    r.http.find((e) => e.workload === w && e.peer === p && plain(e))?.median.serverCpuMsPerRequest;
  const ratioTarget = (w: WorkloadName, p: PeerName, goal: number) => {
    const x = ratio(w, p);
    const a = cpu(w, 'agora');
    const b = cpu(w, p);
    // The CPU ratio says how the servers compare per request, independent of other load on the machine.
    const byCpu = a && b ? ` (server CPU per request: ${(b / a).toFixed(2)}x)` : '';
    targets.push({
      name: `${w} throughput vs ${PEER_LABEL[p].replace(/\*/g, '')}`,
      goal: `>= ${goal}x`,
      measured: x === null ? 'n/a' : `${x.toFixed(2)}x req/s${byCpu}`,
      met: x === null ? null : x >= goal,
    });
  };
  ratioTarget('W2', 'postgraphile', 1.0);
  ratioTarget('W2', 'naive', 3);
  ratioTarget('W1', 'postgraphile', 0.9);
  ratioTarget('W3', 'postgraphile', 0.9);
  ratioTarget('W2', 'physical', 0.5);
  // The target is for one instance: its in-process bus (the Redis bus rows are reported beside it).
  const big = r.w5.filter((x) => x.subscribers >= 5000 && (x.bus ?? 'memory') === 'memory');
  const worstP99 = big.length ? Math.max(...big.map((x) => x.p99Ms)) : null;
  const lost = big.some((x) => x.delivered < x.expected || x.publishErrors > 0);
  targets.push({
    name: 'W5 5k subscribers, publish-to-receive p99',
    goal: '< 200 ms, nothing lost',
    measured:
      worstP99 === null
        ? 'n/a'
        : `${big.map((x) => `${fmt(x.p99Ms, 1)} ms (${x.topics} topic${x.topics > 1 ? 's' : ''})`).join(', ')}${lost ? '; some deliveries missing' : ''}`,
    met: worstP99 === null ? null : worstP99 < 200 && !lost,
  });
  const perConn = big.find((x) => x.rssKiBPerConnection !== undefined)?.rssKiBPerConnection;
  targets.push({
    name: 'W5 memory per idle subscribed connection',
    goal: '< 50 KiB',
    measured: perConn === undefined ? 'n/a' : `${fmt(perConn, 1)} KiB RSS`,
    met: perConn === undefined ? null : perConn < 50,
  });
  return targets;
}

export function markdown(r: BenchReport): string {
  const lines: string[] = [];
  const m = r.machine;
  lines.push(`Run ${r.startedAt} (${r.mode}), commit ${m.gitCommit}.`);
  lines.push('');
  lines.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}; Node ${m.node} (PostGraphile on ${m.node22}); ` +
      `${m.postgres}; autocannon ${m.autocannon}, PostGraphile ${m.postgraphile}. Load average at start: ${m.loadAverageAtStart}.`,
  );
  const s = r.settings as any;
  const d = r.dataset as any;
  lines.push('');
  lines.push(
    `Data: ${d.users} users, ${d.posts} posts, ${d.comments} comments (${d.database}). Every server: own process${s.taskset ? ' pinned to CPU 0 (load generator on CPU 1)' : ''}, ` +
      `DB pool ${s.poolSize}; autocannon ${s.connections} connections, ${s.warmupSec} s warm-up, median of ${s.runs} × ${s.durationSec} s.`,
  );
  lines.push('');
  lines.push(
    '| Workload | Server | req/s | p50 ms | p99 ms | errors / non-2xx / bad body | bytes/resp | SQL/req | server CPU ms/req | server RSS MiB | × physical | Agora ÷ this |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const w of ['W1', 'W2', 'W3', 'W4', 'W6'] as WorkloadName[]) {
    const entries = r.http.filter((e) => e.workload === w);
    const physical = entries.find((e) => e.peer === 'physical')?.median.rps;
    const agora = entries.find((e) => e.peer === 'agora' && plain(e))?.median.rps;
    for (const e of entries) {
      const x = e.median;
      lines.push(
        `| ${w} | ${labelOf(e)} | ${fmt(x.rps)} | ${fmt(x.p50Ms, 1)} | ${fmt(x.p99Ms, 1)} | ${x.errors} / ${x.non2xx} / ${x.mismatches} | ${x.bytesPerResponse} | ${fmt(x.sqlPerRequest, 2)} | ${fmt(x.serverCpuMsPerRequest, 2)} | ${fmt(x.rssMiB)} | ` +
          `${physical ? `${(x.rps / physical).toFixed(2)}×` : '–'} | ${agora && e.peer !== 'agora' && plain(e) ? `${(agora / x.rps).toFixed(2)}×` : '–'} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    `Workloads: ${Object.entries(WORKLOAD_TITLES)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}.`,
  );
  if (Object.keys(r.w2StatementsByPageSize).length) {
    lines.push('');
    lines.push(
      `Agora W2 SQL statements by page size: ${Object.entries(r.w2StatementsByPageSize)
        .map(([k, v]) => `first ${k} → ${v}`)
        .join(', ')}.`,
    );
  }
  if (r.w5.length) {
    lines.push('');
    lines.push(`W5 subscription fan-out (Agora, ${r.w5Note}):`);
    lines.push('');
    lines.push(
      '| bus | subscribers | topics | publishes/s (failed) | delivered / expected | delivered msg/s | p50 ms | p99 ms | max ms | server CPU µs/msg | server loop delay p99 / max ms | load generator CPU µs/msg (% of a core) | RSS KiB/conn (idle) | heap KiB/conn |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const x of r.w5) {
      lines.push(
        `| ${x.bus ?? 'memory'} | ${x.subscribers} | ${x.topics} | ${x.publishRatePerSec} (${x.publishErrors}) | ${x.delivered} / ${x.expected} | ${fmt(x.deliveredPerSec)} | ${fmt(x.p50Ms, 1)} | ${fmt(x.p99Ms, 1)} | ${fmt(x.maxMs, 1)} | ${fmt(x.serverCpuUsPerDelivery)} | ${fmt(x.serverLoopDelayP99Ms)} / ${fmt(x.serverLoopDelayMaxMs)} | ${fmt(x.loadGenCpuUsPerDelivery)} (${fmt(x.loadGenCpuPct)}) | ${fmt(x.rssKiBPerConnection, 1)} | ${fmt(x.heapKiBPerConnection, 1)} |`,
      );
    }
  }
  if (r.cpuSplits?.length) {
    lines.push('', ...cpuSplitMarkdown(r.cpuSplits));
    const gap = cpuGapMarkdown(r.cpuSplits, 'postgraphile', 'PostGraphile 5');
    if (gap.length) lines.push('', ...gap);
  }
  if (r.seqScans?.length) lines.push('', ...seqScanMarkdown(r.seqScans));
  if (Object.keys(r.skipped).length) {
    lines.push('');
    for (const [k, v] of Object.entries(r.skipped)) lines.push(`- Skipped ${k}: ${v}`);
  }
  lines.push('');
  lines.push('Targets:');
  lines.push('');
  lines.push('| target | goal | measured | met |');
  lines.push('|---|---|---|---|');
  for (const t of r.targets) lines.push(`| ${t.name} | ${t.goal} | ${t.measured} | ${t.met === null ? 'n/a' : t.met ? 'yes' : '**no**'} |`);
  return lines.join('\n');
}

const START = '<!-- latest-results:start -->';
const END = '<!-- latest-results:end -->';

/** Replaces the latest-results block of bench/README.md. */
export function updateReadme(path: string, table: string): void {
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < 0) throw new Error(`${path} lacks the ${START} / ${END} markers`);
  writeFileSync(path, `${text.slice(0, a + START.length)}\n${table}\n${text.slice(b)}`);
}
