import { unauthenticated } from '../lib/errors.ts';
import type { RequestScope, Viewer } from './deps.ts';

export function requireViewer(scope: Pick<RequestScope, 'viewer'>): Viewer {
  if (!scope.viewer) throw unauthenticated();
  return scope.viewer;
}
