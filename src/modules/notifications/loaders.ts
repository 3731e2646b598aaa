import type { Notification } from '../../db/generated/client.ts';
import type { Db } from '../../db/prisma.ts';
import { byIds } from '../../db/batch-loaders.ts';

/** Notification loaders, as factories (createLoaders builds each on first use); policy.ts decides who sees one. */
export const notificationLoaderFactories = {
  notification: ({ db }: { db: Db }) => byIds<Notification>((ids) => db.notification.findMany({ where: { id: { in: ids } } })),
};
