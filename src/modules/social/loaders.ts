import { Prisma, type User } from '../../db/generated/client.ts';
import type { Db } from '../../db/prisma.ts';
import { sorts } from '../../lib/sorts.ts';
import { childPages, grouped } from '../../db/batch-loaders.ts';
import type { WindowSource } from '../../db/windowed-query.ts';

type Deps = { db: Db; viewerId: string | null };

/** The users on one side of a follow, paged per user on the other side. */
function followSide(listed: 'followerId' | 'followeeId', parent: 'followerId' | 'followeeId'): WindowSource {
  return {
    select: Prisma.sql`u.*`,
    from: Prisma.sql`"Follow" f JOIN "User" u ON u.id = f.${Prisma.raw(`"${listed}"`)}`,
    parent: Prisma.sql`f.${Prisma.raw(`"${parent}"`)}`,
    sortKey: Prisma.sql`f."createdAt"`,
    id: Prisma.sql`u.id`,
    sortKeyType: 'timestamp(3)',
  };
}

const FOLLOWERS = followSide('followerId', 'followeeId');
const FOLLOWING = followSide('followeeId', 'followerId');

/** Follow loaders, as factories (modules/loaders.ts builds each on first use). Follows are public. */
export const socialLoaderFactories = {
  followerCount: ({ db }: Deps) =>
    grouped(
      async (ids) => {
        const rows = await db.follow.groupBy({ by: ['followeeId'], where: { followeeId: { in: ids } }, _count: { _all: true } });
        return new Map(rows.map((r) => [r.followeeId, r._count._all]));
      },
      () => 0,
    ),

  followingCount: ({ db }: Deps) =>
    grouped(
      async (ids) => {
        const rows = await db.follow.groupBy({ by: ['followerId'], where: { followerId: { in: ids } }, _count: { _all: true } });
        return new Map(rows.map((r) => [r.followerId, r._count._all]));
      },
      () => 0,
    ),

  viewerFollows: ({ db, viewerId }: Deps) =>
    grouped(
      async (ids) => {
        if (!viewerId) return new Map<string, boolean>();
        const rows = await db.follow.findMany({ where: { followerId: viewerId, followeeId: { in: ids } }, select: { followeeId: true } });
        return new Map(rows.map((r) => [r.followeeId, true]));
      },
      () => false,
    ),

  followers: ({ db }: Deps) => childPages<User>(db, FOLLOWERS, sorts.follows),
  following: ({ db }: Deps) => childPages<User>(db, FOLLOWING, sorts.follows),
};
