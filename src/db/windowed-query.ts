import { Prisma } from './generated/client.ts';
import type { Db } from './prisma.ts';
import { readDirection, type PageRequest, type Sort } from '../lib/pagination.ts';

/**
 * One page of children for many parents, in a single statement: rows are
 * numbered per parent with a window function and cut at `limit + 1` (the
 * extra row says whether another page exists). This is what keeps nested
 * connections from going N+1. Every fragment here is a constant of our own
 * code; only values travel as parameters.
 */
export interface WindowSource {
  /** Columns to return, e.g. Prisma.sql`c.*`. */
  select: Prisma.Sql;
  /** FROM clause, joins included. */
  from: Prisma.Sql;
  /** Expression of the parent's id (a uuid). */
  parent: Prisma.Sql;
  /** Expression the page is sorted by. */
  sortKey: Prisma.Sql;
  /** Unique tie-breaker (a uuid), returned as `_id`. */
  id: Prisma.Sql;
  /** Extra condition, e.g. Prisma.sql`c."parentId" IS NULL`. */
  filter?: Prisma.Sql;
  /** SQL type of the sort key, for the cursor comparison. */
  sortKeyType: 'timestamp(3)' | 'text';
}

export interface WindowRow {
  _parent: string;
  _sortKey: Date | string;
  _id: string;
}

export async function loadWindowedPages<T>(
  db: Db,
  source: WindowSource,
  parentIds: readonly string[],
  page: PageRequest,
  sort: Sort,
): Promise<Map<string, (T & WindowRow)[]>> {
  const direction = Prisma.raw(readDirection(sort, page) === 'asc' ? 'ASC' : 'DESC');
  const comparison = Prisma.raw(readDirection(sort, page) === 'asc' ? '>' : '<');
  const filter = source.filter ?? Prisma.sql`TRUE`;
  const cursor = page.cursor
    ? Prisma.sql`(${source.sortKey}, ${source.id}) ${comparison} (${page.cursor.key}::${Prisma.raw(source.sortKeyType)}, ${page.cursor.id}::uuid)`
    : Prisma.sql`TRUE`;
  const rows = await db.$queryRaw<(T & WindowRow)[]>`
    SELECT * FROM (
      SELECT ${source.select},
        ${source.parent} AS "_parent", ${source.sortKey} AS "_sortKey", ${source.id} AS "_id",
        (row_number() OVER (PARTITION BY ${source.parent} ORDER BY ${source.sortKey} ${direction}, ${source.id} ${direction}))::int AS "_rn"
      FROM ${source.from}
      WHERE ${source.parent} = ANY(${parentIds}::uuid[]) AND ${filter} AND ${cursor}
    ) page
    WHERE "_rn" <= ${page.limit + 1}
    ORDER BY "_parent", "_rn"`;
  const byParent = new Map<string, (T & WindowRow)[]>();
  for (const row of rows) {
    const list = byParent.get(row._parent);
    if (list) list.push(row);
    else byParent.set(row._parent, [row]);
  }
  return byParent;
}

/** Counts children per parent in one statement (for `totalCount`). */
export async function loadWindowCounts(
  db: Db,
  source: Pick<WindowSource, 'from' | 'parent' | 'filter'>,
  parentIds: readonly string[],
): Promise<Map<string, number>> {
  const filter = source.filter ?? Prisma.sql`TRUE`;
  const rows = await db.$queryRaw<{ parent: string; count: number }[]>`
    SELECT ${source.parent} AS parent, count(*)::int AS count
    FROM ${source.from}
    WHERE ${source.parent} = ANY(${parentIds}::uuid[]) AND ${filter}
    GROUP BY 1`;
  return new Map(rows.map((r) => [r.parent, r.count]));
}
