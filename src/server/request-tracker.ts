import type { Server, ServerResponse } from 'node:http';

export interface RequestTracker {
  /** HTTP requests received and not yet fully answered (bodies still uploading included). */
  readonly inFlight: number;
  /**
   * Stops accepting connections, then resolves once every in-flight request
   * has been answered (true) or at `deadline` (false). Kept-alive connections
   * are closed as their last response ends.
   */
  drain(deadline: number): Promise<boolean>;
}

/**
 * Counts the server's in-flight requests so that shutdown can wait for them.
 * A request counts from its headers until its response is finished or its
 * connection is gone, so one whose body is still uploading is waited for.
 */
export function trackRequests(server: Server): RequestTracker {
  const open = new Set<ServerResponse>();
  let draining = false;
  let onIdle: (() => void) | null = null;

  server.on('request', (_req, res: ServerResponse) => {
    open.add(res);
    if (draining && !res.headersSent) res.setHeader('connection', 'close');
    res.once('close', () => {
      open.delete(res);
      if (!draining) return;
      server.closeIdleConnections();
      if (open.size === 0) onIdle?.();
    });
  });

  return {
    get inFlight() {
      return open.size;
    },
    async drain(deadline) {
      draining = true;
      // Answers still to come tell their clients not to reuse the connection.
      for (const res of open) if (!res.headersSent) res.setHeader('connection', 'close');
      if (server.listening) server.close();
      server.closeIdleConnections();
      if (open.size === 0) return true;
      let timer: NodeJS.Timeout | undefined;
      const drained = await new Promise<boolean>((resolve) => {
        onIdle = () => resolve(true);
        timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
      });
      clearTimeout(timer);
      onIdle = null;
      return drained;
    },
  };
}
