// `npm run bench [-- --quick] [--scale 1] [--runs 3] [--duration 10] [--only W1,W2,W5] [--peers agora,naive] [--profile]`
//
// Puts Agora beside its peers on one seeded database: each server in its own
// process, loaded over loopback by autocannon from this process. Results go to
// bench/results/<time>.json (+ latest.json) and the table in bench/README.md.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { TokenService } from '../src/auth/tokens.ts';
import { toGlobalId } from '../src/lib/global-id.ts';
import { hasTaskset, pinSelf, startServer, type PeerName, type ServerHandle } from './harness.ts';
import { cpuSplit, cpuSplitSummary, type CpuProfile, type WorkloadCpuSplit } from './cpu-split.ts';
import { median, probe, runLoad, type RunResult } from './load.ts';
import { ensurePeerPackages, resolveNode22 } from './node22.ts';
import { evaluateTargets, machineInfo, markdown, updateReadme, type BenchReport, type HttpEntry } from './report.ts';
import { benchServer, ensureBenchDatabase, scaleFor } from './seed.ts';
import { seqScanMeter, seqScanSummary, type SeqScanWindow, type WorkloadSeqScans } from './seq-scans.ts';
import { runFanout } from './subscriptions.ts';
import { postgraphileNodeIds, workloadsFor, type Fixtures, type Workload, type WorkloadName } from './workloads.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scale: { type: 'string' },
    runs: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '20' },
    pool: { type: 'string', default: '10' },
    only: { type: 'string' },
    peers: { type: 'string' },
    'w5-rate': { type: 'string' },
    'w5-subscribers': { type: 'string' },
    'w5-topics': { type: 'string' },
    /** Which buses W5 runs on: memory, redis or both (default: both when a Redis answers). */
    'w5-bus': { type: 'string' },
    profile: { type: 'boolean', default: false },
    /** Seconds of the profiled phase after each of Agora's HTTP workloads (0: none). */
    'cpu-split': { type: 'string' },
    'no-readme': { type: 'boolean', default: false },
    /** Re-render bench/README.md from bench/results/latest.json without measuring. */
    rerender: { type: 'boolean', default: false },
  },
});

const quick = args.quick;
const settings = {
  scale: Number(args.scale ?? (quick ? 0.1 : 1)),
  runs: Number(args.runs ?? 3),
  durationSec: Number(args.duration ?? (quick ? 4 : 10)),
  warmupSec: Number(args.warmup ?? (quick ? 2 : 5)),
  connections: Number(args.connections),
  poolSize: Number(args.pool),
  w5Subscribers: (args['w5-subscribers'] ?? '1000,5000').split(',').map(Number),
  w5Topics: (args['w5-topics'] ?? '1,10,100').split(',').map(Number),
  w5RatePerSec: Number(args['w5-rate'] ?? 5),
  w5PublishSec: quick ? 3 : 8,
  cpuSplitSec: Number(args['cpu-split'] ?? (quick ? 3 : 5)),
  taskset: hasTaskset,
};
const only = new Set((args.only ?? 'W1,W2,W3,W4,W5,W6').split(','));
const peers = (args.peers ?? 'physical,naive,postgraphile,agora').split(',') as PeerName[];
const JWT_SECRET = 'bench-only-secret-0123456789abcdef0123456789';
/** The W2 cached row's RESPONSE_CACHE_TTL_SECONDS (the production default). */
const CACHED_TTL_SECONDS = 30;
const RESULTS_DIR = path.resolve(import.meta.dirname, 'results');
/** CPU profile sampling interval of the profiled phase (V8's default). */
const PROFILE_INTERVAL_US = 1000;
/** Peers whose CPU split is taken: Agora, and PostGraphile to show what the gap to it is made of. */
const PROFILED_PEERS = new Set<PeerName>(['agora', 'postgraphile']);
const log = (s: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

if (args.rerender) {
  const report = JSON.parse(readFileSync(path.join(RESULTS_DIR, 'latest.json'), 'utf8')) as BenchReport;
  report.targets = evaluateTargets(report);
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), JSON.stringify(report, null, 2));
  updateReadme(path.resolve(import.meta.dirname, 'README.md'), markdown(report));
  console.log(markdown(report));
  process.exit(0);
}

// One bench at a time: they would measure each other.
mkdirSync(RESULTS_DIR, { recursive: true });
const lockFile = path.join(RESULTS_DIR, '.lock');
let lock: number;
try {
  lock = openSync(lockFile, 'wx');
} catch {
  console.error(`Another bench run holds ${lockFile}; remove it if that run is gone.`);
  process.exit(1);
}
const releaseLock = () => {
  try {
    closeSync(lock);
    unlinkSync(lockFile);
  } catch {
    /* already gone */
  }
};

// Past the soft deadline no new measurement starts (the report says what was
// skipped); the hard limit below ends the process whatever happens.
// (About 60 s of it waits for PostgreSQL's table counters around Agora's workloads: seq-scans.ts.)
const SOFT_LIMIT_SEC = quick ? 300 : 1800;
const HARD_LIMIT_SEC = quick ? 360 : 2400;
const softDeadline = Date.now() + SOFT_LIMIT_SEC * 1000;

/** The Redis for W5's Redis-bus rows: BENCH_REDIS_URL or REDIS_URL, else the local one if it answers. */
async function findRedis(): Promise<string | null> {
  const url = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const { hostname, port } = new URL(url);
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
  return reachable ? url : null;
}

async function main(): Promise<void> {
  const redisUrl = only.has('W5') ? await findRedis() : null;
  const w5Buses = (redisUrl ? (['memory', 'redis'] as const) : (['memory'] as const)).filter(
    (bus) => !args['w5-bus'] || args['w5-bus'].split(',').includes(bus),
  );
  const startedAt = new Date().toISOString();
  const stamp = startedAt.replace(/[:.]/g, '-');
  // Servers get CPU 0, this load generator CPU 1 (PostgreSQL floats over both).
  pinSelf(1);
  const db = await benchServer();
  const scale = scaleFor(settings.scale);
  const { url: databaseUrl, built, seconds } = await ensureBenchDatabase(db.adminUrl, scale);
  log(`database ${databaseUrl.replace(/\/\/[^@]*@/, '//')} ${built ? `built in ${seconds.toFixed(0)} s` : 'reused'}`);

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const version = (await client.query<{ v: string }>(`SELECT split_part(version(), ' on ', 1) AS v`)).rows[0]!.v;
  await client.query(`SELECT setseed(0.42)`);
  const userIds = (await client.query<{ id: string }>(`SELECT id FROM "User" ORDER BY random() LIMIT 200`)).rows.map((r) => r.id);
  const postIds = (
    await client.query<{ id: string }>(`SELECT id FROM "Post" WHERE status = 'PUBLISHED' ORDER BY random() LIMIT 200`)
  ).rows.map((r) => r.id);
  const tokens = new TokenService({
    algorithm: 'HS256',
    secret: JWT_SECRET,
    issuer: 'agora',
    audience: 'agora-api',
    accessTokenTtlSeconds: 3600,
  });
  // Access tokens name a live session; the bench opens one per user it signs in as.
  const sessionTokens = async (ids: string[]): Promise<Map<string, string>> => {
    const { rows } = await client.query<{ id: string; userId: string }>(
      `INSERT INTO "Session" ("userId", "deviceLabel", "expiresAt")
       SELECT u, 'bench', now() + interval '1 day' FROM unnest($1::uuid[]) AS u RETURNING id, "userId"`,
      [ids],
    );
    return new Map(rows.map((r) => [r.userId, tokens.issueAccessToken(r.userId, r.id).token]));
  };
  const tokenOf = await sessionTokens(userIds);
  const fixtures: Fixtures = {
    userIds,
    postIds,
    nodeIds: {
      agora: [...userIds.map((id) => toGlobalId('User', id)), ...postIds.map((id) => toGlobalId('Post', id))],
      naive: [...userIds.map((id) => toGlobalId('User', id)), ...postIds.map((id) => toGlobalId('Post', id))],
    },
    tokens: userIds.slice(0, 100).map((id) => tokenOf.get(id)!),
    publishedPostGids: postIds.map((id) => toGlobalId('Post', id)),
  };

  let node22: string | null = null;
  const skipped: Record<string, string> = {};
  if (peers.includes('postgraphile')) {
    try {
      node22 = resolveNode22();
      ensurePeerPackages();
    } catch (error) {
      skipped.postgraphile = `no Node 22 binary or peer install: ${(error as Error).message}`;
    }
  }

  const http: HttpEntry[] = [];
  const w2StatementsByPageSize: Record<string, number> = {};
  const w5: BenchReport['w5'] = [];
  const seqScans: WorkloadSeqScans[] = [];
  const meter = seqScanMeter(client);
  const recordSeqScans = async (window: SeqScanWindow) => {
    const result = await window.end();
    seqScans.push(result);
    log(seqScanSummary(result));
  };
  // Clean-ups run inside their workload's window: their cascades are part of
  // what the workload costs the database. Both filters use an index.
  const deleteW4Comments = () =>
    client.query(`DELETE FROM "Comment" WHERE "postId" = ANY($1::uuid[]) AND body LIKE 'bench-w4 %'`, [postIds]);
  const deleteW5Posts = (authorIds: string[]) =>
    client.query(`DELETE FROM "Post" WHERE "authorId" = ANY($1::uuid[]) AND title LIKE 'bench-w5 %'`, [authorIds]);
  const httpWorkloads = (['W1', 'W2', 'W3', 'W4', 'W6'] as WorkloadName[]).filter((w) => only.has(w));

  // The CPU split: a profile taken in its own phase after the timed runs (the
  // profiler costs CPU), written next to the results (git-ignored) and classified.
  const cpuSplits: WorkloadCpuSplit[] = [];
  async function profiledPhase(server: ServerHandle, workload: Workload, w: WorkloadName): Promise<void> {
    const file = path.join(RESULTS_DIR, `${stamp}-${server.peer}-${w}.cpuprofile`);
    await server.startProfile(PROFILE_INTERVAL_US);
    let run: RunResult;
    try {
      run = await runLoad(server, workload, {
        connections: settings.connections,
        durationSec: settings.cpuSplitSec,
        sqlFromExtensions: false,
      });
    } finally {
      await server.stopProfile(file);
    }
    const split: WorkloadCpuSplit = {
      workload: w,
      peer: server.peer,
      seconds: settings.cpuSplitSec,
      cpuMsPerRequest: run.serverCpuMsPerRequest,
      ...cpuSplit(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile),
    };
    cpuSplits.push(split);
    log(cpuSplitSummary(split));
  }

  /** Warm-up, then `runs` timed runs of one workload; the median goes into the report. */
  async function measureHttp(server: ServerHandle, workload: Workload, w: WorkloadName, variant?: HttpEntry['variant']): Promise<void> {
    const peer = server.peer;
    const loadOptions = { connections: settings.connections, sqlFromExtensions: peer === 'agora' };
    await runLoad(server, workload, { ...loadOptions, durationSec: settings.warmupSec });
    const runs: RunResult[] = [];
    for (let r = 0; r < settings.runs; r++)
      runs.push(await runLoad(server, workload, { ...loadOptions, durationSec: settings.durationSec }));
    const med = (k: keyof RunResult) => median(runs.map((x) => (x[k] as number | null) ?? NaN));
    const medianRun: RunResult = {
      requests: med('requests'),
      rps: med('rps'),
      p50Ms: med('p50Ms'),
      p99Ms: med('p99Ms'),
      errors: runs.reduce((a, x) => a + x.errors, 0),
      non2xx: runs.reduce((a, x) => a + x.non2xx, 0),
      mismatches: runs.reduce((a, x) => a + x.mismatches, 0),
      bytesPerResponse: med('bytesPerResponse'),
      sqlPerRequest: runs[0]!.sqlPerRequest === null ? null : med('sqlPerRequest'),
      sqlPerRequestReported: runs[0]!.sqlPerRequestReported == null ? null : med('sqlPerRequestReported'),
      rssMiB: Math.max(...runs.map((x) => x.rssMiB)),
      serverCpuMsPerRequest: med('serverCpuMsPerRequest'),
    };
    http.push({ workload: w, peer, ...(variant ? { variant } : {}), runs, median: medianRun });
    log(
      `${peer}${variant ? ` (${variant})` : ''} ${w}: ${medianRun.rps.toFixed(0)} req/s, p50 ${medianRun.p50Ms} ms, p99 ${medianRun.p99Ms} ms, ` +
        `errors ${medianRun.errors}/${medianRun.non2xx}/${medianRun.mismatches}, ${medianRun.bytesPerResponse} B, SQL ${medianRun.sqlPerRequest?.toFixed(2) ?? 'n/a'}, ` +
        `server CPU ${medianRun.serverCpuMsPerRequest?.toFixed(2) ?? 'n/a'} ms/req`,
    );
  }

  /**
   * W2 again, on a second Agora process with its shared response cache on
   * (in process, or Redis when REDIS_URL is set): the same document from
   * signed-out viewers, so after the first fill every request is a hit. The
   * plain Agora rows run with the cache off, so the two sit side by side.
   */
  async function cachedW2(): Promise<void> {
    if (Date.now() > softDeadline) {
      skipped['agora W2 cached'] = `time budget (${SOFT_LIMIT_SEC} s) used up`;
      return;
    }
    log('starting agora with the response cache on');
    const server = await startServer('agora', {
      databaseUrl,
      poolSize: settings.poolSize,
      cpu: 0,
      env: { JWT_SECRET, RESPONSE_CACHE_TTL_SECONDS: String(CACHED_TTL_SECONDS) },
    });
    try {
      const workload = workloadsFor('agora', fixtures).W2!;
      const first = await probe(server, workload, 'agora W2 cached');
      if (first.extensions?.cache !== 'MISS')
        throw new Error(`agora W2 cached: expected a cache MISS first, got ${JSON.stringify(first.extensions)}`);
      await measureHttp(server, workload, 'W2', 'cached');
    } finally {
      await server.stop();
    }
  }

  async function httpPeer(peer: PeerName): Promise<void> {
    log(`starting ${peer}`);
    let server: ServerHandle;
    try {
      server = await startServer(peer, {
        databaseUrl,
        poolSize: settings.poolSize,
        cpu: 0,
        node22: node22 ?? undefined,
        // Agora's plain rows measure the executor: its response cache is off (the W2 cached row turns it on).
        env: peer === 'agora' ? { JWT_SECRET, RESPONSE_CACHE_TTL_SECONDS: '0' } : { JWT_SECRET },
        cpuProfDir: args.profile && peer === 'agora' ? RESULTS_DIR : undefined,
      });
    } catch (error) {
      skipped[peer] = `did not start: ${(error as Error).message}`;
      log(skipped[peer]!);
      return;
    }
    meter.touched();
    try {
      if (peer === 'postgraphile') fixtures.nodeIds.postgraphile = await postgraphileNodeIds(server.url, userIds, postIds);
      const workloads = workloadsFor(peer, fixtures);
      for (const w of httpWorkloads) {
        const workload = workloads[w];
        if (!workload) continue;
        if (Date.now() > softDeadline) {
          skipped[`${peer} ${w}`] = `time budget (${SOFT_LIMIT_SEC} s) used up`;
          continue;
        }
        const scanWindow = peer === 'agora' ? await meter.begin(w) : null;
        await probe(server, workload, `${peer} ${w}`);
        if (peer === 'agora' && w === 'W2') {
          for (const size of [5, 20, 50]) {
            const json = await probe(server, workloadsFor(peer, fixtures, size).W2!, `agora W2 first ${size}`);
            w2StatementsByPageSize[size] = json.extensions?.sqlStatements;
          }
        }
        await measureHttp(server, workload, w);
        if (PROFILED_PEERS.has(peer) && settings.cpuSplitSec > 0) await profiledPhase(server, workload, w);
        if (w === 'W4') await deleteW4Comments();
        if (scanWindow) await recordSeqScans(scanWindow);
      }
    } finally {
      await server.stop();
    }
  }

  for (const peer of peers) {
    if (skipped[peer]) continue;
    const wantsHttp = httpWorkloads.some((w) => workloadsFor(peer, fixtures)[w]);
    const wantsW5 = peer === 'agora' && only.has('W5');
    if (wantsHttp) await httpPeer(peer);
    if (peer === 'agora' && only.has('W2')) await cachedW2();
    if (wantsW5) {
      // A fresh server per subscriber count, so memory per connection is measured from a clean baseline.
      const authorIds = userIds.slice(0, Math.max(...settings.w5Topics));
      const authors = authorIds.map((id) => ({ token: tokenOf.get(id)!, gid: toGlobalId('User', id) }));
      // The in-process bus, then (when a Redis answers) the Redis bus that
      // several instances would share, each with a fresh server per subscriber count.
      const scanWindow = await meter.begin('W5');
      for (const bus of w5Buses) {
        for (const subscribers of settings.w5Subscribers) {
          if (Date.now() > softDeadline) {
            skipped[`W5 ${bus} ${subscribers} subscribers`] = `time budget (${SOFT_LIMIT_SEC} s) used up`;
            continue;
          }
          const busEnv: Record<string, string> =
            bus === 'redis' ? { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: `agora-bench-${process.pid}:` } : {};
          const fresh = await startServer(peer, {
            databaseUrl,
            poolSize: settings.poolSize,
            cpu: 0,
            env: { JWT_SECRET, ...busEnv },
            cpuProfDir: args.profile ? RESULTS_DIR : undefined,
          });
          try {
            const results = await runFanout(
              fresh,
              {
                subscriberCounts: [subscribers],
                topicCounts: settings.w5Topics,
                ratePerSec: settings.w5RatePerSec,
                publishSeconds: settings.w5PublishSec,
                authors,
              },
              log,
            );
            w5.push(...results.map((result) => ({ ...result, bus })));
          } finally {
            await fresh.stop();
          }
        }
      }
      await deleteW5Posts(authorIds);
      await recordSeqScans(scanWindow);
    }
  }

  // W4 and W5 clean up after themselves; this also removes what an interrupted earlier run left.
  await client.query(`DELETE FROM "Comment" WHERE body LIKE 'bench-w4 %'`);
  await client.query(`DELETE FROM "Post" WHERE title LIKE 'bench-w5 %'`);
  await client.end();
  await db.stop();

  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: machineInfo(version, node22),
    settings,
    dataset: { ...scale, database: db.kind },
    http,
    w2StatementsByPageSize,
    w5,
    seqScans,
    cpuSplits,
    w5Note: `${w5Buses.includes('redis') ? 'in-process event bus, then the Redis bus (REDIS_URL)' : redisUrl ? 'in-process event bus (--w5-bus)' : 'in-process event bus (no Redis reachable: the Redis bus was not measured)'}; ${settings.w5RatePerSec} publishes/s via createPost for ${settings.w5PublishSec} s, round-robin over the topics; latency from publish request to receipt`,
    skipped,
    targets: [],
  };
  report.targets = evaluateTargets(report);
  writeFileSync(path.join(RESULTS_DIR, `${stamp}-${report.mode}.json`), JSON.stringify(report, null, 2));
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), JSON.stringify(report, null, 2));
  const table = markdown(report);
  if (!args['no-readme']) updateReadme(path.resolve(import.meta.dirname, 'README.md'), table);
  console.log(`\n${table}\n`);
}

// A hard bound on the whole run, whatever happens.
const limit = setTimeout(() => {
  console.error('bench: time limit reached, stopping');
  releaseLock();
  process.exit(2);
}, HARD_LIMIT_SEC * 1000);
limit.unref();

main()
  .then(() => {
    releaseLock();
    process.exit(0);
  })
  .catch((error) => {
    console.error(error);
    releaseLock();
    process.exit(1);
  });
