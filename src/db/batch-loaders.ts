import DataLoader from 'dataloader';
import { toConnection, type Connection, type PageRequest, type Sort } from '../lib/pagination.ts';
import type { Db } from './prisma.ts';
import { loadWindowCounts, loadWindowedPages, type WindowRow, type WindowSource } from './windowed-query.ts';

// Building blocks of every module's per-request DataLoaders: batch by id,
// group rows per key, and nested pages in one windowed statement.

/** A nested page request: which parent, and which page of its children. */
export interface ChildPageKey {
  parentId: string;
  page: PageRequest;
}

export function byIds<T extends { id: string }>(load: (ids: string[]) => Promise<T[]>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = await load([...ids]);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/** Rows gathered into a list per key, in row order. */
export function listsBy<R, V>(rows: readonly R[], key: (row: R) => string, value: (row: R) => V): Map<string, V[]> {
  const map = new Map<string, V[]>();
  for (const row of rows) {
    const list = map.get(key(row));
    if (list) list.push(value(row));
    else map.set(key(row), [value(row)]);
  }
  return map;
}

export function grouped<V>(load: (ids: string[]) => Promise<Map<string, V>>, empty: () => V) {
  return new DataLoader<string, V>(async (ids) => {
    const map = await load([...ids]);
    return ids.map((id) => map.get(id) ?? empty());
  });
}

/**
 * Pages of children for many parents. Keys asking for the same page shape are
 * answered by one windowed statement; `totalCount` goes through its own
 * batched count loader, so it costs one statement per level when selected.
 */
export function childPages<T>(db: Db, source: WindowSource, sort: Sort) {
  const counts = grouped(
    (ids) => loadWindowCounts(db, source, ids),
    () => 0,
  );
  return new DataLoader<ChildPageKey, Connection<T & WindowRow>, string>(
    async (keys) => {
      const byShape = new Map<string, ChildPageKey[]>();
      for (const key of keys) {
        const group = byShape.get(key.page.shapeKey);
        if (group) group.push(key);
        else byShape.set(key.page.shapeKey, [key]);
      }
      const results = new Map<string, Connection<T & WindowRow>>();
      await Promise.all(
        [...byShape.values()].map(async (group) => {
          const page = group[0]!.page;
          const rows = await loadWindowedPages<T>(
            db,
            source,
            group.map((k) => k.parentId),
            page,
            sort,
          );
          for (const key of group) {
            results.set(
              `${key.parentId}|${page.shapeKey}`,
              toConnection(
                rows.get(key.parentId) ?? [],
                page,
                sort,
                (r) => ({ key: r._sortKey, id: r._id }),
                () => counts.load(key.parentId),
              ),
            );
          }
        }),
      );
      return keys.map((k) => results.get(`${k.parentId}|${k.page.shapeKey}`)!);
    },
    { cacheKeyFn: (k) => `${k.parentId}|${k.page.shapeKey}` },
  );
}

// Window sources are constants of our own code; only values travel as parameters.
