/** Serve one simulator on its own port (tests, local experiments); the sandbox serves them all on one. */
import type { AddressInfo } from 'node:net';

import type { Router } from '@koa/router';
import Koa from 'koa';

export interface ServableSimulator {
  router: Router;
  /** The normalised path prefix ("" or "/something"). */
  basePath: string;
  close(): void;
}

export interface StartedSimulator<S extends ServableSimulator> {
  /** Base URL of the simulated API: the origin and the base path. */
  url: string;
  simulator: S;
  close(): Promise<void>;
}

export async function serveSimulator<S extends ServableSimulator>(
  simulator: S,
  opts: {
    port?: number | undefined;
    host?: string | undefined;
    /** When closing, end requests still open (e.g. held by a fault) instead of waiting for them. */
    dropOpenRequests: boolean;
  },
): Promise<StartedSimulator<S>> {
  const app = new Koa();
  app.use(simulator.router.routes());
  app.use(simulator.router.allowedMethods());
  const server = app.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostPart}:${address.port}${simulator.basePath}`,
    simulator,
    close: async () => {
      simulator.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if (opts.dropOpenRequests) server.closeAllConnections();
        else server.closeIdleConnections();
      });
    },
  };
}
