/**
 * The sandbox: the simulators of the external providers on their own port (SIMULATOR_PORT),
 * each under its own path, e.g. http://localhost:3001/mobileid/phone for the virtual phone.
 */
import http from 'node:http';
import path from 'node:path';

import type Router from '@koa/router';
import Koa from 'koa';

import type { Config } from '../config.js';
import { createMobileIdSimulator, type MobileIdSimulator } from '../simulators/mobileid/index.js';

export interface Sandbox {
  /** Base URL to configure the Mobile ID client with. */
  mobileIdUrl: string;
  /** Root CA of the simulator's user certificates (to add to the trust anchors). */
  mobileIdRootPem: string;
  /** The virtual phone page a person uses to approve requests. */
  phoneUrl: string;
  mobileId: MobileIdSimulator;
  close(): Promise<void>;
}

export async function startSandbox(config: Config): Promise<Sandbox> {
  const mobileId = await createMobileIdSimulator({
    ...(config.dataDir === ':memory:' ? {} : { dataDir: path.join(config.dataDir) }),
    apId: config.mobileId.apId,
    dtbdPrefix: config.mobileId.dtbdPrefix,
    basePath: '/mobileid',
  });
  const app = new Koa();
  app.use(async (ctx, next) => {
    await next();
    ctx.set('X-Content-Type-Options', 'nosniff');
  });
  // One entry per simulator: its router (under its own base path) and how to stop it.
  const simulators: { router: Router; close(): void | Promise<void> }[] = [
    { router: mobileId.router, close: () => mobileId.close() },
  ];
  for (const { router } of simulators) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  const server = http.createServer(app.callback());
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.simulatorPort, host, () => resolve());
  });
  const base = `http://${host}:${config.simulatorPort}`;
  const publicBase = `http://localhost:${config.simulatorPort}`;
  return {
    mobileIdUrl: `${base}/mobileid`,
    mobileIdRootPem: mobileId.rootCaPem,
    phoneUrl: `${publicBase}/mobileid/phone`,
    mobileId,
    close: async () => {
      await Promise.all(simulators.map((s) => s.close()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
