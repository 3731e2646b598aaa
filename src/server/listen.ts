import type { Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { listenFailure } from '../lib/startup-errors.ts';

/** Listens and returns the base URL; a taken port or a wrong HOST fails as a one-line StartupError. */
export async function listen(httpServer: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', (error) => reject(listenFailure(error, host, port)));
    httpServer.listen(port, host, () => resolve());
  });
  const { port: bound } = httpServer.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return `http://${shown}:${bound}`;
}

/**
 * Fails early, before the database is started, migrated or seeded, when
 * PORT/HOST cannot be listened on. listen() still reports a port taken in
 * between.
 */
export async function checkListenable(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(listenFailure(error, host, port)));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
