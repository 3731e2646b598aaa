import type { CredentialResolver } from '../auth/credentials.ts';
import type { TokenService } from '../auth/tokens.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { AppConfig } from '../config.ts';
import type { Db } from '../db/prisma.ts';
import type { Logger } from '../lib/logger.ts';
import type { Loaders } from './loaders.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { RealtimeDeps } from '../events/realtime-deps.ts';
import type { LoginThrottle } from '../auth/login-throttle.ts';

export type { Viewer };

/** Long-lived dependencies shared by every request. */
export interface AppDeps {
  db: Db;
  tokens: TokenService;
  credentials: CredentialResolver;
  loginThrottle: LoginThrottle;
  bus: EventBus;
  logger: Logger;
  sessionPolicy: AppConfig['session'];
  /** Outbox dispatch, presence and typing (memory or Redis). */
  realtime: RealtimeDeps;
}

/** Where a request came from, for sessions and the audit log. */
export interface RequestInfo {
  ip: string | null;
  userAgent: string;
}

/** What a service sees of the current request. */
export interface RequestScope extends AppDeps {
  viewer: Viewer | null;
  loaders: Loaders;
  request: RequestInfo;
}
