/** Start the Mobile ID simulator on its own port (sandbox, tests). */
import type { AddressInfo } from 'node:net';

import Koa from 'koa';

import { createMobileIdSimulator, type MobileIdSimulator, type MobileIdSimulatorOptions } from './app.js';

export interface StartedMobileIdSimulator {
  /** Base URL of the Mobile ID API, e.g. http://127.0.0.1:4010 (the client appends /rest/service/sign). */
  url: string;
  simulator: MobileIdSimulator;
  close(): Promise<void>;
}

export async function startMobileIdSimulator(
  opts: MobileIdSimulatorOptions & { port?: number; host?: string } = {},
): Promise<StartedMobileIdSimulator> {
  const { port = 0, host = '127.0.0.1', ...simulatorOptions } = opts;
  const simulator = await createMobileIdSimulator(simulatorOptions);
  const app = new Koa();
  app.use(simulator.router.routes());
  app.use(simulator.router.allowedMethods());

  const server = app.listen(port, host);
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
        server.closeIdleConnections();
      });
    },
  };
}
