import { ValidationError, type FieldError } from './errors.ts';
import { isUuid } from './global-id.ts';

export const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

/** Relay connection arguments as they arrive from GraphQL. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

type SortKey = Date | string;
export type SortDirection = 'asc' | 'desc';

/** What a cursor points at: the row's sort key and its unique tie-breaker. */
export interface CursorPosition {
  key: SortKey;
  id: string;
}

/**
 * A validated page request. `backward` pages (last/before) read rows in the
 * reverse of the sort order and flip them back, so both directions are one
 * keyset query on the same index.
 */
export interface PageRequest {
  limit: number;
  backward: boolean;
  cursor: CursorPosition | null;
  /** Identifies the page shape; loaders batch keys with equal shapes together. */
  shapeKey: string;
}

export interface Sort {
  /** Name baked into cursors so a cursor from another ordering is refused. */
  name: string;
  keyType: 'date' | 'string';
  direction: SortDirection;
}

interface Edge<T> {
  cursor: string;
  node: T;
}

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

/** A resolved page; `totalCount` runs its query only when the field is selected. */
export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount: () => Promise<number>;
}

function encodeCursor(sort: Sort, position: CursorPosition): string {
  const key = position.key instanceof Date ? position.key.toISOString() : position.key;
  return Buffer.from(JSON.stringify([sort.name, key, position.id])).toString('base64url');
}

// Cursors are ours, but a client can forge any bytes: everything decoded is
// checked to be a value the database accepts (a uuid, a representable
// timestamp, text without NUL), so a forged cursor is a BAD_USER_INPUT and
// never a failed statement.
const MAX_CURSOR_LENGTH = 2_048;
const MAX_STRING_KEY_LENGTH = 1_000;

/** A timestamp exactly as `encodeCursor` writes it (ISO 8601, years 1 to 9999). */
function cursorDate(key: string): Date | null {
  const date = new Date(key);
  if (Number.isNaN(date.getTime())) return null;
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999 || date.toISOString() !== key) return null;
  return date;
}

function decodeCursor(cursor: string, sort: Sort): CursorPosition | null {
  if (cursor.length > MAX_CURSOR_LENGTH) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return null;
  const [name, key, id] = parsed as unknown[];
  if (name !== sort.name || typeof key !== 'string' || !isUuid(id)) return null;
  if (sort.keyType === 'date') {
    const date = cursorDate(key);
    return date ? { key: date, id } : null;
  }
  if (key.length > MAX_STRING_KEY_LENGTH || key.includes('\u0000')) return null;
  return { key, id };
}

/** Validates Relay arguments against one sort; errors name the offending argument. */
export function parsePageArgs(args: PageArgs, sort: Sort, fieldPrefix = ''): PageRequest {
  const errors: FieldError[] = [];
  const field = (name: string) => `${fieldPrefix}${name}`;
  const { first, after, last, before } = args;
  const checkSize = (name: string, value: number | null | undefined) => {
    if (value != null && (value < 1 || value > MAX_PAGE_SIZE)) {
      errors.push({ field: field(name), message: `Must be between 1 and ${MAX_PAGE_SIZE}` });
    }
  };
  checkSize('first', first);
  checkSize('last', last);
  if (first != null && last != null) errors.push({ field: field('last'), message: 'Use either first or last, not both' });
  if (after != null && before != null) errors.push({ field: field('before'), message: 'Use either after or before, not both' });
  if (first != null && before != null) errors.push({ field: field('before'), message: 'Page with first/after or with last/before' });
  if (last != null && after != null) errors.push({ field: field('after'), message: 'Page with first/after or with last/before' });

  const backward = last != null || before != null;
  const rawCursor = backward ? before : after;
  let cursor: CursorPosition | null = null;
  if (rawCursor != null) {
    cursor = decodeCursor(rawCursor, sort);
    if (!cursor) errors.push({ field: field(backward ? 'before' : 'after'), message: 'Invalid cursor' });
  }
  if (errors.length > 0) throw new ValidationError(errors);

  const limit = (backward ? last : first) ?? DEFAULT_PAGE_SIZE;
  return { limit, backward, cursor, shapeKey: `${sort.name}|${limit}|${backward}|${rawCursor ?? ''}` };
}

/** The direction rows are read in: the sort order, reversed for backward pages. */
export function readDirection(sort: Sort, page: PageRequest): SortDirection {
  if (!page.backward) return sort.direction;
  return sort.direction === 'asc' ? 'desc' : 'asc';
}

/**
 * Turns rows read with `limit + 1` (in read direction) into a connection.
 * The extra row only tells whether another page exists.
 */
export function toConnection<T>(
  rowsInReadOrder: T[],
  page: PageRequest,
  sort: Sort,
  positionOf: (row: T) => CursorPosition,
  totalCount: () => Promise<number>,
): Connection<T> {
  const hasMore = rowsInReadOrder.length > page.limit;
  const rows = rowsInReadOrder.slice(0, page.limit);
  if (page.backward) rows.reverse();
  // Cursors are encoded only when read: most queries select `nodes`, not `edges.cursor`.
  const edges: Edge<T>[] = rows.map((node) => new LazyEdge(node, sort, positionOf));
  return {
    edges,
    pageInfo: {
      // A cursor on the other side means rows exist beyond it (the Relay spec
      // allows this cheap answer instead of another query).
      hasNextPage: page.backward ? page.cursor != null : hasMore,
      hasPreviousPage: page.backward ? hasMore : page.cursor != null,
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? null;
      },
    },
    totalCount,
  };
}

class LazyEdge<T> implements Edge<T> {
  #cursor: string | undefined;
  constructor(
    readonly node: T,
    private readonly sort: Sort,
    private readonly positionOf: (row: T) => CursorPosition,
  ) {}
  get cursor(): string {
    return (this.#cursor ??= encodeCursor(this.sort, this.positionOf(this.node)));
  }
}

/**
 * Prisma `where` for rows strictly after `cursor` in read direction, on
 * (sortField, id). Rows inserted between page fetches land on one side of
 * the cursor, so pages never repeat or skip rows.
 */
function keysetWhere(sortField: string, idField: string, cursor: CursorPosition | null, direction: SortDirection): Record<string, unknown> {
  if (!cursor) return {};
  const op = direction === 'asc' ? 'gt' : 'lt';
  return {
    OR: [{ [sortField]: { [op]: cursor.key } }, { [sortField]: cursor.key, [idField]: { [op]: cursor.id } }],
  };
}

/**
 * A keyset page through a Prisma delegate: `find` receives the where/orderBy/
 * take to use, `sortField` is the model field behind `sort`; `prime` sees
 * each row read (to fill a DataLoader cache).
 */
export async function keysetPage<T extends { id: string }>(options: {
  args: PageArgs;
  sort: Sort;
  sortField: keyof T & string;
  where: Record<string, unknown>;
  find: (query: { where: Record<string, unknown>; orderBy: Record<string, SortDirection>[]; take: number }) => Promise<T[]>;
  count: () => Promise<number>;
  prime?: (row: T) => void;
}): Promise<Connection<T>> {
  const { sort, sortField } = options;
  const page = parsePageArgs(options.args, sort);
  const read = readDirection(sort, page);
  const rows = await options.find({
    where: { AND: [options.where, keysetWhere(sortField, 'id', page.cursor, read)] },
    orderBy: [{ [sortField]: read }, { id: read }],
    take: page.limit + 1,
  });
  if (options.prime) for (const row of rows) options.prime(row);
  return toConnection(rows, page, sort, (row) => ({ key: row[sortField] as SortKey, id: row.id }), options.count);
}
