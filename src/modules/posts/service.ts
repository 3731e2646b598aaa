import { Prisma, type Post, type PostStatus } from '../../db/generated/client.ts';
import type { Db } from '../../db/prisma.ts';
import { forbidden, InputChecker, notFound } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import {
  parsePageArgs,
  readDirection,
  toConnection,
  type Connection,
  type PageArgs,
  type PageRequest,
  type Sort,
} from '../../lib/pagination.ts';
import { sorts } from '../../lib/sorts.ts';
import * as validate from '../../lib/validation.ts';
import type { RequestScope } from '../scope.ts';
import { canEditPost, listableDraftsSql, postVisibleSql, visiblePostById } from './policy.ts';
import { requireViewer } from '../../auth/guards.ts';
import { postPublishedTopic } from '../../events/topics.ts';

export interface PostListOptions extends PageArgs {
  filter?: { authorId?: string | null; tag?: string | null; status?: PostStatus | null; search?: string | null } | null;
  orderBy?: { field: 'CREATED_AT' | 'TITLE'; direction: 'ASC' | 'DESC' } | null;
}

// Must match the expression of "Post_search_idx" (see its migration).
const SEARCH_VECTOR = Prisma.sql`to_tsvector('english', p."title" || ' ' || p."body")`;

/** Runs a keyset page of posts: `conditions` and `from` are our own SQL fragments. */
async function pagePosts(
  db: Db,
  from: Prisma.Sql,
  conditions: Prisma.Sql[],
  sort: Sort,
  sortColumn: Prisma.Sql,
  page: PageRequest,
): Promise<Connection<Post>> {
  const read = readDirection(sort, page);
  const where = conditions.length ? Prisma.join(conditions, ' AND ') : Prisma.sql`TRUE`;
  const keyType = Prisma.raw(sort.keyType === 'date' ? 'timestamp(3)' : 'text');
  const after = page.cursor
    ? Prisma.sql`(${sortColumn}, p.id) ${Prisma.raw(read === 'asc' ? '>' : '<')} (${page.cursor.key}::${keyType}, ${page.cursor.id}::uuid)`
    : Prisma.sql`TRUE`;
  const dir = Prisma.raw(read === 'asc' ? 'ASC' : 'DESC');
  const rows = await db.$queryRaw<(Post & { _sortKey: Date | string })[]>`
    SELECT p.*, ${sortColumn} AS "_sortKey" FROM ${from}
    WHERE ${where} AND ${after}
    ORDER BY ${sortColumn} ${dir}, p.id ${dir}
    LIMIT ${page.limit + 1}`;
  return toConnection(
    rows,
    page,
    sort,
    (p) => ({ key: p._sortKey, id: p.id }),
    async () => {
      const [{ count }] = await db.$queryRaw<[{ count: number }]>`SELECT count(*)::int AS count FROM ${from} WHERE ${where}`;
      return count;
    },
  );
}

/** Loads a post the viewer may see, or throws NOT_FOUND naming `field`. */
async function visiblePost({ loaders, viewer }: RequestScope, globalId: string, field: string): Promise<Post> {
  const post = await visiblePostById(loaders, viewer, expectGlobalId(globalId, 'Post', field));
  if (!post) throw notFound('Post', field);
  return post;
}

/** A post the viewer may change (posts/policy.ts canEditPost), or the refusal. */
async function ownPost(scope: RequestScope, globalId: string, field: string): Promise<Post> {
  const me = requireViewer(scope);
  const post = await visiblePost(scope, globalId, field);
  if (!canEditPost(me, post)) throw forbidden('Only the author may change this post');
  return post;
}

async function setTags(tx: Prisma.TransactionClient, postId: string, names: string[]): Promise<void> {
  await tx.postTag.deleteMany({ where: { postId } });
  if (names.length === 0) return;
  await tx.tag.createMany({ data: names.map((name) => ({ name })), skipDuplicates: true });
  const tags = await tx.tag.findMany({ where: { name: { in: names } }, select: { id: true } });
  await tx.postTag.createMany({ data: tags.map((t) => ({ postId, tagId: t.id })) });
}

function announceIfPublished({ bus }: RequestScope, before: Post | null, after: Post): void {
  if (after.status === 'PUBLISHED' && before?.status !== 'PUBLISHED') {
    // The committed row travels with the event, so a fan-out to N
    // subscribers does not cost N reads of the same post.
    bus.publish(postPublishedTopic(after.authorId), { postId: after.id, post: after });
  }
}

/** The filter's conditions, on top of the status and the visibility rule. */
function listConditions(viewer: RequestScope['viewer'], filter: NonNullable<PostListOptions['filter']>): Prisma.Sql[] {
  const status = filter.status ?? 'PUBLISHED';
  const conditions = [Prisma.sql`p.status = ${status}::"PostStatus"`, postVisibleSql(viewer)];
  if (status === 'DRAFT') conditions.push(listableDraftsSql(viewer));
  if (filter.authorId != null) {
    conditions.push(Prisma.sql`p."authorId" = ${expectGlobalId(filter.authorId, 'User', 'filter.authorId')}::uuid`);
  }
  if (filter.tag != null) {
    conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM "PostTag" pt JOIN "Tag" t ON t.id = pt."tagId"
      WHERE pt."postId" = p.id AND t.name = ${filter.tag.trim().toLowerCase()})`);
  }
  if (filter.search != null && filter.search.trim() !== '') {
    conditions.push(Prisma.sql`${SEARCH_VECTOR} @@ plainto_tsquery('english', ${filter.search})`);
  }
  return conditions;
}

async function listPosts(scope: RequestScope, options: PostListOptions): Promise<Connection<Post>> {
  const direction = options.orderBy?.direction === 'ASC' ? 'asc' : 'desc';
  const byTitle = options.orderBy?.field === 'TITLE';
  const sort = byTitle ? sorts.postsByTitle(direction) : sorts.postsByCreatedAt(direction);
  const page = parsePageArgs(options, sort);
  const conditions = listConditions(scope.viewer, options.filter ?? {});
  const sortColumn = byTitle ? Prisma.sql`p.title` : Prisma.sql`p."createdAt"`;
  const connection = await pagePosts(scope.db, Prisma.sql`"Post" p`, conditions, sort, sortColumn, page);
  for (const { node } of connection.edges) scope.loaders.post.prime(node.id, node);
  return connection;
}

function feed(scope: RequestScope, args: PageArgs): Promise<Connection<Post>> {
  const me = requireViewer(scope);
  const page = parsePageArgs(args, sorts.feed);
  return pagePosts(
    scope.db,
    Prisma.sql`"Post" p JOIN "Follow" f ON f."followeeId" = p."authorId" AND f."followerId" = ${me.id}::uuid`,
    [Prisma.sql`p.status = 'PUBLISHED'`, postVisibleSql(scope.viewer)],
    sorts.feed,
    Prisma.sql`p."publishedAt"`,
    page,
  );
}

async function createPost(
  scope: RequestScope,
  input: { title: string; body: string; tags?: string[] | null; publish?: boolean | null },
): Promise<Post> {
  const me = requireViewer(scope);
  const checker = new InputChecker();
  const title = validate.text(checker, 'input.title', input.title, 1, 200);
  const body = validate.text(checker, 'input.body', input.body, 1, 20_000);
  const tags = validate.tags(checker, 'input.tags', input.tags ?? []);
  checker.throwIfAny();
  const publish = input.publish === true;
  const post = await scope.db.$transaction(async (tx) => {
    const created = await tx.post.create({
      data: { authorId: me.id, title, body, status: publish ? 'PUBLISHED' : 'DRAFT', publishedAt: publish ? new Date() : null },
    });
    await setTags(tx, created.id, tags);
    return created;
  });
  announceIfPublished(scope, null, post);
  return post;
}

async function updatePost(
  scope: RequestScope,
  input: { id: string; title?: string | null; body?: string | null; tags?: string[] | null },
): Promise<Post> {
  const checker = new InputChecker();
  const title = input.title != null ? validate.text(checker, 'input.title', input.title, 1, 200) : undefined;
  const body = input.body != null ? validate.text(checker, 'input.body', input.body, 1, 20_000) : undefined;
  const tags = input.tags != null ? validate.tags(checker, 'input.tags', input.tags) : undefined;
  checker.throwIfAny();
  const post = await ownPost(scope, input.id, 'input.id');
  return scope.db.$transaction(async (tx) => {
    if (tags) await setTags(tx, post.id, tags);
    return tx.post.update({ where: { id: post.id }, data: { title, body, updatedAt: new Date() } });
  });
}

async function publishPost(scope: RequestScope, globalId: string): Promise<Post> {
  const post = await ownPost(scope, globalId, 'input.id');
  const updated = await scope.db.post.update({
    where: { id: post.id },
    data: { status: 'PUBLISHED', publishedAt: post.publishedAt ?? new Date() },
  });
  announceIfPublished(scope, post, updated);
  return updated;
}

export function createPostService(scope: RequestScope) {
  const { db, loaders, viewer } = scope;
  return {
    visiblePost: (globalId: string, field: string) => visiblePost(scope, globalId, field),

    /** `User.posts`: the author's posts the viewer may list (posts/policy.ts authorPostsSql), batched. */
    byAuthor(userId: string, args: PageArgs): Promise<Connection<Post>> {
      return loaders.authorPosts.load({ parentId: userId, page: parsePageArgs(args, sorts.authorPosts) });
    },

    byId(globalId: string): Promise<Post | null> {
      return visiblePostById(loaders, viewer, expectGlobalId(globalId, 'Post', 'id'));
    },

    list: (options: PostListOptions) => listPosts(scope, options),
    feed: (args: PageArgs) => feed(scope, args),
    create: (input: Parameters<typeof createPost>[1]) => createPost(scope, input),
    update: (input: Parameters<typeof updatePost>[1]) => updatePost(scope, input),
    publish: (globalId: string) => publishPost(scope, globalId),

    async archive(globalId: string): Promise<Post> {
      const post = await ownPost(scope, globalId, 'input.id');
      return db.post.update({ where: { id: post.id }, data: { status: 'ARCHIVED' } });
    },

    async remove(globalId: string): Promise<string> {
      const post = await ownPost(scope, globalId, 'input.id');
      await db.post.delete({ where: { id: post.id } });
      return post.id;
    },
  };
}

export type PostService = ReturnType<typeof createPostService>;
