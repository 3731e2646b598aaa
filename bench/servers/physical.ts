// The physical limit for W2: a bare Node HTTP endpoint that answers with one
// hand-written SQL statement building the whole JSON response in PostgreSQL
// (LATERAL joins + json_agg). No GraphQL parsing, no resolvers.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { announceReady, countStatements } from './ipc.ts';

countStatements();
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_SIZE || 10) });

const gid = (type: string, column: string) =>
  `translate(rtrim(encode(convert_to('${type}:' || ${column}, 'UTF8'), 'base64'), '='), '+/', '-_')`;
const iso = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const W2_SQL = `
SELECT json_build_object('data', json_build_object('posts', json_build_object('nodes',
  coalesce(json_agg(json_build_object(
    'id', ${gid('Post', 'p.id')}, 'title', p.title, 'createdAt', ${iso('p."createdAt"')},
    'author', json_build_object('id', ${gid('User', 'u.id')}, 'username', u.username, 'name', u.name),
    'comments', json_build_object('nodes', coalesce(cm.nodes, '[]'::json)),
    'reactionCounts', coalesce(rc.counts, '[]'::json)
  ) ORDER BY p."createdAt" DESC, p.id DESC), '[]'::json))))::text AS body
FROM (SELECT * FROM "Post" WHERE status = 'PUBLISHED' ORDER BY "createdAt" DESC, id DESC LIMIT $1) p
JOIN "User" u ON u.id = p."authorId"
LEFT JOIN LATERAL (
  SELECT json_agg(json_build_object(
    'id', ${gid('Comment', 'c.id')}, 'body', c.body, 'createdAt', ${iso('c."createdAt"')},
    'author', json_build_object('id', ${gid('User', 'cu.id')}, 'username', cu.username, 'name', cu.name)
  ) ORDER BY c."createdAt", c.id) AS nodes
  FROM (SELECT * FROM "Comment" WHERE "postId" = p.id AND "parentId" IS NULL ORDER BY "createdAt", id LIMIT $2) c
  JOIN "User" cu ON cu.id = c."authorId"
) cm ON true
LEFT JOIN LATERAL (
  SELECT json_agg(json_build_object('kind', kind, 'count', n) ORDER BY kind) AS counts
  FROM (SELECT kind, count(*)::int AS n FROM "Reaction" WHERE "postId" = p.id GROUP BY kind) r
) rc ON true`;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let first = 20;
    let comments = 10;
    try {
      const { variables } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      first = Number(variables?.first ?? 20);
      comments = Number(variables?.comments ?? 10);
    } catch {
      /* defaults */
    }
    pool.query<{ body: string }>({ name: 'w2', text: W2_SQL, values: [first, comments] }).then(
      ({ rows }) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(rows[0]!.body);
      },
      (error: Error) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: error.message }] }));
      },
    );
  });
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  announceReady(`http://127.0.0.1:${port}`, async () => {
    server.close();
    await pool.end();
  });
});
