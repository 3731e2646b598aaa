import type { PresenceStore } from './presence-store.ts';
import type { TypingThrottle } from './typing-throttle.ts';

/** What services need from the real-time layer. */
export interface RealtimeDeps {
  /** Publish committed outbox events now (call after a commit that wrote some). */
  kick(): void;
  presence: PresenceStore;
  typing: TypingThrottle;
}
