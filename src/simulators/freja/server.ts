/** Start the Freja eID simulator on its own port (tests, local experiments). */
import type { AddressInfo } from 'node:net';

import Koa from 'koa';

import { createFrejaSimulator, type FrejaSimulator, type FrejaSimulatorOptions } from './simulator.js';

export interface StartedFrejaSimulator {
  /** Base URL of the API, e.g. http://127.0.0.1:4020 (the client appends /authentication/1.0/…). */
  url: string;
  simulator: FrejaSimulator;
  close(): Promise<void>;
}

export async function startFrejaSimulator(opts: FrejaSimulatorOptions & { port?: number; host?: string } = {}): Promise<StartedFrejaSimulator> {
  const { port = 0, host = '127.0.0.1', ...rest } = opts;
  const simulator = await createFrejaSimulator(rest);
  const app = new Koa();
  app.use(simulator.router.routes());
  app.use(simulator.router.allowedMethods());
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}${simulator.basePath}`,
    simulator,
    close: async () => {
      simulator.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
