// The "tutorial shape" peer: Apollo Server + Prisma with one Prisma call per
// resolver and no DataLoader, serving the same SDL as Agora for W1-W3.
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../src/db/generated/client.ts';
import { DateTime } from '../../src/graphql/resolvers/scalars.ts';
import { parseGlobalId, toGlobalId } from '../../src/lib/global-id.ts';
import { announceReady, countStatements } from './ipc.ts';

countStatements();
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_SIZE || 10) });
const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });

type Row = { id: string; authorId: string };

const resolvers = {
  DateTime,
  Query: {
    users: async (_: unknown, { first }: { first?: number }) => ({
      nodes: await prisma.user.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: first ?? 20 }),
    }),
    posts: async (_: unknown, { first }: { first?: number }) => ({
      nodes: await prisma.post.findMany({
        where: { status: 'PUBLISHED' },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: first ?? 20,
      }),
    }),
    node: async (_: unknown, { id }: { id: string }) => {
      const parsed = parseGlobalId(id);
      if (!parsed) return null;
      if (parsed.type === 'User')
        return prisma.user.findUnique({ where: { id: parsed.id } }).then((u) => u && { ...u, __typename: 'User' });
      if (parsed.type === 'Post')
        return prisma.post.findUnique({ where: { id: parsed.id } }).then((p) => p && { ...p, __typename: 'Post' });
      return prisma.comment.findUnique({ where: { id: parsed.id } }).then((c) => c && { ...c, __typename: 'Comment' });
    },
  },
  Node: { __resolveType: (node: { __typename: string }) => node.__typename },
  User: { id: (u: Row) => toGlobalId('User', u.id) },
  Post: {
    id: (p: Row) => toGlobalId('Post', p.id),
    author: (p: Row) => prisma.user.findUnique({ where: { id: p.authorId } }),
    comments: async (p: Row, { first }: { first?: number }) => ({
      nodes: await prisma.comment.findMany({
        where: { postId: p.id, parentId: null },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: first ?? 20,
      }),
    }),
    reactionCounts: async (p: Row) => {
      const rows = await prisma.reaction.groupBy({
        by: ['kind'],
        where: { postId: p.id },
        _count: { _all: true },
        orderBy: { kind: 'asc' },
      });
      return rows.map((r) => ({ kind: r.kind, count: r._count._all }));
    },
  },
  Comment: {
    id: (c: Row) => toGlobalId('Comment', c.id),
    author: (c: Row) => prisma.user.findUnique({ where: { id: c.authorId } }),
  },
};

const typeDefs = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
const server = new ApolloServer({ schema: makeExecutableSchema({ typeDefs, resolvers: resolvers as never }) });
const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.PORT || 0), host: '127.0.0.1' } });
announceReady(url.replace(/\/$/, ''), async () => {
  await server.stop();
  await prisma.$disconnect();
  await pool.end();
});
