// HTTP load with autocannon on loopback: a warm-up, then several measured
// runs; every response body is checked and measured.
import autocannon from 'autocannon';
import type { ServerHandle } from './harness.ts';
import type { Workload } from './workloads.ts';

export interface RunResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** Responses that failed the shape check (GraphQL errors included). */
  mismatches: number;
  bytesPerResponse: number;
  /** Mean SQL statements per request, when measurable. */
  sqlPerRequest: number | null;
  /** Agora only: mean of `extensions.sqlStatements` (attribution is per operation, see bench/README.md). */
  sqlPerRequestReported?: number | null;
  /** Peak server RSS sampled during the run. */
  rssMiB: number;
  /** Server process CPU time per request (ms): robust to other load on the machine. */
  serverCpuMsPerRequest: number | null;
}

export interface LoadOptions {
  connections: number;
  durationSec: number;
  /** Also read Agora's own per-response count (`extensions.sqlStatements`). */
  sqlFromExtensions: boolean;
}

const SQL_STATEMENTS = /"sqlStatements":(\d+)/;

export async function runLoad(server: ServerHandle, workload: Workload, options: LoadOptions): Promise<RunResult> {
  let i = 0;
  let bodies = 0;
  let bytes = 0;
  let sqlSum = 0;
  let sqlSeen = 0;
  let checked = 0;
  const before = await server.stats();
  const cpuBefore = server.cpuMs();
  let peakRss = server.rssBytes();
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, server.rssBytes());
    } catch {
      /* process gone: reported as errors below */
    }
  }, 250);

  const result = await autocannon({
    url: `${server.url}/graphql`,
    method: 'POST',
    connections: options.connections,
    duration: options.durationSec,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req: any) => {
          const { body, headers } = workload.request(i++);
          return { ...req, body, headers: { ...req.headers, ...headers } };
        },
      },
    ],
    // Cheap check on every response, a full parse and shape check on every 50th.
    verifyBody: (text: string) => {
      bodies += 1;
      bytes += Buffer.byteLength(text);
      if (options.sqlFromExtensions) {
        const m = SQL_STATEMENTS.exec(text.slice(-64));
        if (m) {
          sqlSum += Number(m[1]);
          sqlSeen += 1;
        }
      }
      if (text.startsWith('{"errors"') || text.includes('"errors":[')) return false;
      if (checked++ % 50 === 0) {
        try {
          return workload.check(JSON.parse(text));
        } catch {
          return false;
        }
      }
      return true;
    },
  } as any);
  clearInterval(sampler);

  const cpuUsed = server.cpuMs() - cpuBefore;
  const after = await server.stats();
  // Requests still in flight when autocannon stops are not in `total`; at
  // thousands of requests per run that error is well under 1 %.
  const sqlPerRequest = result.requests.total ? (after.statements - before.statements) / result.requests.total : null;
  return {
    requests: result.requests.total,
    rps: result.requests.total / options.durationSec,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    mismatches: (result as any).mismatches ?? 0,
    bytesPerResponse: bodies ? Math.round(bytes / bodies) : 0,
    sqlPerRequest,
    sqlPerRequestReported: sqlSeen ? sqlSum / sqlSeen : null,
    rssMiB: peakRss / 1048576,
    serverCpuMsPerRequest: result.requests.total ? cpuUsed / result.requests.total : null,
  };
}

/** One request, fully checked; returns the parsed body. Throws when the shape is wrong. */
export async function probe(server: ServerHandle, workload: Workload, label: string): Promise<any> {
  const { body, headers } = workload.request(0);
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* reported below */
  }
  if (res.status !== 200 || !workload.check(json)) {
    throw new Error(`${label}: wrong response (HTTP ${res.status}): ${text.slice(0, 400)}`);
  }
  return json;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
