// Sequential scans per table during each of Agora's workloads, from
// pg_stat_user_tables: a workload that reads a large table row by row (often a
// foreign key without an index behind an ON DELETE) shows up here.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';

/** Tables with more live rows than this should never be scanned by a workload. */
const LARGE_TABLE_ROWS = 10_000;

// A backend publishes its table counters at most once a second, and when idle
// only after PGSTAT_IDLE_INTERVAL (10 s): a snapshot taken this long after the
// last statement (of the server's pool) holds everything the workload did.
const STATS_FLUSH_MS = 10_500;

interface TableCounts {
  seqScans: number;
  rowsRead: number;
  liveRows: number;
}

interface TableSeqScans extends TableCounts {
  table: string;
  /** Over LARGE_TABLE_ROWS rows: live before or after, or read per scan on average (a table
   * the workload fills and the clean-up empties is large in between). */
  large: boolean;
}

export interface WorkloadSeqScans {
  workload: string;
  /** Only tables scanned sequentially at least once, most scans first. */
  tables: TableSeqScans[];
}

export interface SeqScanWindow {
  end(): Promise<WorkloadSeqScans>;
}

/** Snapshots the bench database's table counters around workloads. */
export function seqScanMeter(client: pg.Client) {
  let lastActivity = Date.now();

  async function snapshot(): Promise<Map<string, TableCounts>> {
    const wait = lastActivity + STATS_FLUSH_MS - Date.now();
    if (wait > 0) await sleep(wait);
    // This connection's own statements (the clean-ups) are published at once.
    await client.query('SELECT pg_stat_force_next_flush()');
    const { rows } = await client.query<{ relname: string; seq_scan: string; seq_tup_read: string; n_live_tup: string }>(
      `SELECT relname, seq_scan, seq_tup_read, n_live_tup FROM pg_stat_user_tables WHERE schemaname = 'public'`,
    );
    return new Map(
      rows.map((r) => [r.relname, { seqScans: Number(r.seq_scan), rowsRead: Number(r.seq_tup_read), liveRows: Number(r.n_live_tup) }]),
    );
  }

  return {
    /** Statements ran outside a window (e.g. a server started): the next window waits for their counters. */
    touched(): void {
      lastActivity = Date.now();
    },
    async begin(workload: string): Promise<SeqScanWindow> {
      const before = await snapshot();
      return {
        async end() {
          lastActivity = Date.now();
          const after = await snapshot();
          const tables: TableSeqScans[] = [];
          for (const [table, a] of after) {
            const b = before.get(table) ?? { seqScans: 0, rowsRead: 0, liveRows: 0 };
            const seqScans = a.seqScans - b.seqScans;
            if (seqScans <= 0) continue;
            const rowsRead = a.rowsRead - b.rowsRead;
            const liveRows = Math.max(a.liveRows, b.liveRows);
            const large = Math.max(liveRows, rowsRead / seqScans) > LARGE_TABLE_ROWS;
            tables.push({ table, seqScans, rowsRead, liveRows, large });
          }
          tables.sort((x, y) => y.seqScans - x.seqScans || x.table.localeCompare(y.table));
          return { workload, tables };
        },
      };
    },
  };
}

export function seqScanSummary({ workload, tables }: WorkloadSeqScans): string {
  if (!tables.length) return `${workload}: no sequential scans`;
  const listed = tables.map((t) => `${t.table} ${t.seqScans}${t.large ? ' (LARGE TABLE)' : ''}`).join(', ');
  return `${workload} sequential scans: ${listed}`;
}

/** The Markdown section of the bench report. */
export function seqScanMarkdown(windows: WorkloadSeqScans[]): string[] {
  if (!windows.length) return [];
  const lines = [
    `Sequential scans per table during Agora's workloads (pg_stat_user_tables deltas over probe, warm-up, runs, the CPU-split phase and the ` +
      `bench's own clean-up of W4's comments and W5's posts; **large** = over ${LARGE_TABLE_ROWS.toLocaleString('en')} rows, live or read per scan):`,
    '',
    '| workload | table | seq scans | rows read | rows/scan | live rows | large |',
    '|---|---|---:|---:|---:|---:|---|',
  ];
  for (const { workload, tables } of windows) {
    if (!tables.length) lines.push(`| ${workload} | none | 0 | 0 | – | – | – |`);
    for (const t of tables) {
      const perScan = Math.round(t.rowsRead / t.seqScans);
      lines.push(
        `| ${workload} | ${t.table} | ${t.seqScans} | ${t.rowsRead} | ${perScan} | ${t.liveRows} | ${t.large ? '**yes**' : 'no'} |`,
      );
    }
  }
  return lines;
}
