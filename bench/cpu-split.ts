// Where a server's CPU goes during one workload, from a V8 CPU profile
// (`.cpuprofile`, taken by the inspector's Profiler domain in the server).
// Each sample is charged to the nearest frame, from the running function
// outwards, whose script says whose code it is; builtins, Node internals that
// are not I/O, and wasm are charged to their caller.

const CATEGORIES = ['gc', 'graphql', 'apollo', 'prisma', 'network', 'agora', 'async', 'native', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];

const CATEGORY_LABELS: Record<Category, string> = {
  gc: 'GC',
  graphql: 'GraphQL execution',
  apollo: 'server pipeline',
  prisma: 'SQL layer + pg',
  network: 'HTTP / ws / JSON',
  agora: 'Agora (src/)',
  async: 'promises / async_hooks',
  native: 'native (no JS)',
  other: 'other',
};

interface CallFrame {
  functionName: string;
  scriptId: string | number;
  url: string;
}

export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
}

export interface CpuSplit {
  /** Non-idle samples. */
  samples: number;
  /** Share of non-idle samples per category (0..1). */
  shares: Record<Category, number>;
  /** The largest contributors to `other` (package or script, share), to keep the buckets honest. */
  topOther: { name: string; share: number }[];
}

// First match wins; `null` means "not telling: ask the caller". The same
// buckets hold PostGraphile's parts, so the two splits compare: its SQL
// layer (@dataplan/pg, pg-sql2) with Prisma, Grafast with graphql-js/jit,
// Grafserv with Apollo's pipeline.
const URL_RULES: [RegExp, Category | null][] = [
  [/\/src\/db\/generated\//, 'prisma'],
  [/\/node_modules\/(@prisma\/|\.prisma\/|pg\/|pg-[a-z0-9]+\/|postgres-[a-z]+\/|@dataplan\/pg\/|graphile-build-pg\/)/, 'prisma'],
  [/\/node_modules\/(graphql\/|graphql-jit\/|@graphql-tools\/|@escape\.tech\/|graphql-query-complexity\/)/, 'graphql'],
  [/\/node_modules\/(grafast\/|@dataplan\/json\/|tamedevil\/)/, 'graphql'],
  [/\/node_modules\/(@apollo\/|grafserv\/)/, 'apollo'],
  [/\/node_modules\/(ws\/|graphql-ws\/)/, 'network'],
  // Await resumption and the promise hooks behind AsyncLocalStorage (Node 20).
  [/^node:(internal\/)?(async_hooks|async_local_storage|process\/task_queues)/, 'async'],
  [/^node:(net|http|https|stream|_http_\w+|_stream_\w+|internal\/(http|streams\/|stream_base_commons|net|dns))/, 'network'],
  [/^node:/, null],
  [/^wasm:/, null],
  [/\/node_modules\//, 'other'],
  [/\/src\//, 'agora'],
];

const JSON_BUILTINS = new Set(['parse', 'stringify']);
/** V8's microtask loop: time in it, outside any JS function, is promise machinery. */
const MICROTASK_BUILTIN = 'runMicrotasks';

/** The category a frame's own script gives, or null when its caller should decide. */
export function frameCategory({ functionName, scriptId, url }: CallFrame): Category | null {
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(program)') return 'native';
  if (!url) {
    // A script without URL is eval'd code: graphql-jit's compiled queries (new Function).
    if (String(scriptId) !== '0') return 'graphql';
    // V8 builtins: JSON encoding is the transport's; the others belong to whoever called them.
    if (functionName === MICROTASK_BUILTIN) return 'async';
    return JSON_BUILTINS.has(functionName) ? 'network' : null;
  }
  for (const [pattern, category] of URL_RULES) if (pattern.test(url)) return category;
  return 'other';
}

/** Package name (or script) of a frame, for the `other` breakdown. */
function ownerOf(url: string): string {
  const i = url.lastIndexOf('/node_modules/');
  if (i < 0) return url ? url.split('/').slice(-2).join('/') : '(builtin)';
  const [scope, name] = url.slice(i + '/node_modules/'.length).split('/');
  return scope!.startsWith('@') ? `${scope}/${name}` : scope!;
}

export function cpuSplit(profile: CpuProfile): CpuSplit {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const charged = new Map<number, { category: Category; owner: string }>();
  const chargeOf = (id: number): { category: Category; owner: string } => {
    const known = charged.get(id);
    if (known) return known;
    const frame = byId.get(id)!.callFrame;
    const own = frameCategory(frame);
    const parent = parentOf.get(id);
    const result =
      own !== null
        ? { category: own, owner: ownerOf(frame.url) }
        : parent === undefined
          ? { category: 'other' as const, owner: '(root)' }
          : chargeOf(parent);
    charged.set(id, result);
    return result;
  };

  const counts = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  const otherOwners = new Map<string, number>();
  let samples = 0;
  for (const id of profile.samples) {
    if (byId.get(id)?.callFrame.functionName === '(idle)') continue;
    const { category, owner } = chargeOf(id);
    counts[category] += 1;
    samples += 1;
    if (category === 'other') otherOwners.set(owner, (otherOwners.get(owner) ?? 0) + 1);
  }
  const share = (n: number) => (samples ? n / samples : 0);
  return {
    samples,
    shares: Object.fromEntries(CATEGORIES.map((c) => [c, share(counts[c])])) as Record<Category, number>,
    topOther: [...otherOwners]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([name, n]) => ({ name, share: share(n) })),
  };
}

export interface WorkloadCpuSplit extends CpuSplit {
  workload: string;
  peer: string;
  /** Server CPU per request during the profiled phase (compare with the timed runs: the profiler's cost). */
  cpuMsPerRequest: number | null;
  seconds: number;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}`;

/** One log line: `agora W2 CPU split: GC 25.0 %, ...`. */
export function cpuSplitSummary(s: WorkloadCpuSplit): string {
  const parts = CATEGORIES.filter((c) => s.shares[c] > 0).map((c) => `${CATEGORY_LABELS[c]} ${pct(s.shares[c])} %`);
  return `${s.peer} ${s.workload} CPU split (${s.samples} samples): ${parts.join(', ')}`;
}

/** The Markdown section of the bench report: one row per profiled workload. */
export function cpuSplitMarkdown(splits: WorkloadCpuSplit[]): string[] {
  if (!splits.length) return [];
  const lines = [
    `Server CPU split (% of non-idle CPU profile samples, taken in a separate ${splits[0]!.seconds} s phase after each ` +
      `workload's timed runs; a sample counts for the nearest frame whose script tells whose code runs, see bench/cpu-split.ts):`,
    '',
    `| workload | server | ${CATEGORIES.map((c) => CATEGORY_LABELS[c]).join(' | ')} | samples | CPU ms/req (profiled) | largest in other |`,
    `|---|---|${CATEGORIES.map(() => '---:').join('|')}|---:|---:|---|`,
  ];
  for (const s of splits) {
    const other = s.topOther.map((o) => `${o.name} ${pct(o.share)}`).join(', ') || '–';
    lines.push(
      `| ${s.workload} | ${s.peer} | ${CATEGORIES.map((c) => pct(s.shares[c])).join(' | ')} | ${s.samples} | ${s.cpuMsPerRequest?.toFixed(2) ?? 'n/a'} | ${other} |`,
    );
  }
  return lines;
}

/** Milliseconds of server CPU per request in each bucket: the profiled CPU per request split by the shares. */
function msByCategory(s: WorkloadCpuSplit): Record<Category, number> | null {
  const total = s.cpuMsPerRequest;
  if (total === null) return null;
  return Object.fromEntries(CATEGORIES.map((c) => [c, s.shares[c] * total])) as Record<Category, number>;
}

/**
 * What a gap to another server is made of: per workload profiled for both
 * Agora and `peer`, each bucket's CPU milliseconds per request side by side
 * and Agora's excess, largest first.
 */
export function cpuGapMarkdown(splits: WorkloadCpuSplit[], peer: string, peerLabel: string): string[] {
  const lines: string[] = [];
  for (const ours of splits.filter((s) => s.peer === 'agora')) {
    const theirs = splits.find((s) => s.peer === peer && s.workload === ours.workload);
    const a = msByCategory(ours);
    const b = theirs && msByCategory(theirs);
    if (!a || !b) continue;
    const rows = CATEGORIES.map((c) => ({ c, diff: a[c] - b[c] })).sort((x, y) => y.diff - x.diff);
    const total = ours.cpuMsPerRequest! - theirs.cpuMsPerRequest!;
    const largest = rows
      .filter((r) => r.diff > 0)
      .slice(0, 3)
      .map((r) => `${CATEGORY_LABELS[r.c]} ${r.diff.toFixed(2)} ms (${total > 0 ? pct(r.diff / total) : '–'} %)`);
    lines.push(
      `| ${ours.workload} | ${ours.cpuMsPerRequest!.toFixed(2)} | ${theirs.cpuMsPerRequest!.toFixed(2)} | ${total.toFixed(2)} | ` +
        `${CATEGORIES.map((c) => `${a[c].toFixed(2)} / ${b[c].toFixed(2)}`).join(' | ')} | ${largest.join(', ') || '–'} |`,
    );
  }
  if (!lines.length) return [];
  return [
    `What the CPU gap to ${peerLabel} is made of (server CPU ms per request while profiled, each bucket as Agora / ${peerLabel}; the shares above times the profiled CPU per request):`,
    '',
    `| workload | Agora ms/req | ${peerLabel} ms/req | gap ms | ${CATEGORIES.map((c) => CATEGORY_LABELS[c]).join(' | ')} | largest parts of the gap |`,
    `|---|---:|---:|---:|${CATEGORIES.map(() => '---:').join('|')}|---|`,
    ...lines,
  ];
}
