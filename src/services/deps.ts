import type { TokenService } from '../auth/tokens.ts';
import type { Db } from '../db/prisma.ts';
import type { Logger } from '../lib/logger.ts';
import type { Loaders } from '../loaders/index.ts';
import type { EventBus } from '../realtime/event-bus.ts';
import type { RealtimeDeps } from '../realtime/realtime.ts';

/** Long-lived dependencies shared by every request. */
export interface AppDeps {
  db: Db;
  tokens: TokenService;
  bus: EventBus;
  logger: Logger;
  /** Outbox dispatch, presence and typing (memory or Redis). */
  realtime: RealtimeDeps;
}

export interface Viewer {
  id: string;
}

/** What a service sees of the current request. */
export interface RequestScope extends AppDeps {
  viewer: Viewer | null;
  loaders: Loaders;
}
