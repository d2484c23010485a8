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
import { createSrsSimulator, type SrsSimulator } from '../simulators/srs/index.js';
import { createFrejaSimulator, type FrejaSimulator } from '../simulators/freja/index.js';
import { createUpiSimulator, type UpiSimulator } from '../simulators/upi/index.js';

export interface Sandbox {
  /** Base URL to configure the Mobile ID client with. */
  mobileIdUrl: string;
  /** Root CA of the simulator's user certificates (to add to the trust anchors). */
  mobileIdRootPem: string;
  /** The virtual phone page a person uses to approve requests. */
  phoneUrl: string;
  mobileId: MobileIdSimulator;
  /** Swisscom SRS: the endpoints, client credentials and callback keys the SRS client uses. */
  srs: ReturnType<SrsSimulator['endpoints']>;
  srsSimulator: SrsSimulator;
  /** Base URL to configure the Freja eID client with. */
  frejaUrl: string;
  /** The simulator's JWS signing certificate (with its issuing CA) and root CA, PEM. */
  frejaSigningCertPem: string;
  frejaRootPem: string;
  /** The sandbox app page; a link to it with `?transactionReference=` stands in for the app link. */
  frejaAppUrl: string;
  freja: FrejaSimulator;
  /** The UPI query service endpoint (AHV register check) to configure the UPI client with. */
  upiUrl: string;
  upi: UpiSimulator;
  close(): Promise<void>;
}

export async function startSandbox(config: Config): Promise<Sandbox> {
  const mobileId = await createMobileIdSimulator({
    ...(config.dataDir === ':memory:' ? {} : { dataDir: path.join(config.dataDir) }),
    apId: config.mobileId.apId,
    dtbdPrefix: config.mobileId.dtbdPrefix,
    basePath: '/mobileid',
  });
  const freja = await createFrejaSimulator({
    ...(config.dataDir === ':memory:' ? {} : { dataDir: path.join(config.dataDir) }),
    basePath: '/freja',
  });
  const upi = createUpiSimulator({ basePath: '/upi', senderId: config.upi.senderId, spidCategory: config.upi.spidCategory });
  const srs = await createSrsSimulator({
    basePath: '/srs',
    ...(config.srs.clientId ? { clientId: config.srs.clientId } : {}),
    ...(config.srs.clientSecret ? { clientSecret: config.srs.clientSecret } : {}),
  });
  const app = new Koa();
  app.use(async (ctx, next) => {
    await next();
    ctx.set('X-Content-Type-Options', 'nosniff');
  });
  // One entry per simulator: its router (under its own base path) and how to stop it.
  const simulators: { router: Router; close(): void | Promise<void> }[] = [
    { router: mobileId.router, close: () => mobileId.close() },
    { router: srs.router, close: () => srs.close() },
    { router: freja.router, close: () => freja.close() },
    { router: upi.router, close: () => upi.close() },
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
    srs: srs.endpoints(base),
    srsSimulator: srs,
    frejaUrl: `${base}/freja`,
    frejaSigningCertPem: freja.signingCertPem,
    frejaRootPem: freja.rootCaPem,
    frejaAppUrl: `${publicBase}/freja/app`,
    freja,
    upiUrl: `${base}${upi.endpointPath}`,
    upi,
    close: async () => {
      await Promise.all(simulators.map((s) => s.close()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
