import type { Db } from '../db/prisma.ts';
import type { Viewer } from '../auth/viewer.ts';
import { lazyFactory } from '../lib/lazy.ts';
import { accountLoaderFactories } from './accounts/loaders.ts';
import { postLoaderFactories } from './posts/loaders.ts';
import { socialLoaderFactories } from './social/loaders.ts';
import { chatLoaderFactories } from './chat/loaders.ts';
import { notificationLoaderFactories } from './notifications/loaders.ts';

/**
 * Per-request loaders: one batch per key type and tick, cached for the
 * operation, each built on first use. Each module defines its own; what the
 * viewer may see is part of the nested lists' SQL (the modules' policy.ts).
 */
interface LoaderDeps {
  db: Db;
  viewer: Viewer | null;
  viewerId: string | null;
}

const factories = {
  ...accountLoaderFactories,
  ...postLoaderFactories,
  ...socialLoaderFactories,
  ...chatLoaderFactories,
  ...notificationLoaderFactories,
};

const makeLoaders = lazyFactory<LoaderDeps, typeof factories>(factories);

export function createLoaders(db: Db, viewer: Viewer | null) {
  return makeLoaders({ db, viewer, viewerId: viewer?.id ?? null });
}

export type Loaders = ReturnType<typeof createLoaders>;
