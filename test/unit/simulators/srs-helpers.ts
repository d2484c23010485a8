/** The SRS simulator on a loopback port of its own, for the simulator and client tests. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import Koa from 'koa';

import { createSrsSimulator, type SrsSimulator, type SrsSimulatorOptions } from '../../../src/simulators/srs/index.js';

export interface RunningSrsSimulator {
  sim: SrsSimulator;
  origin: string;
  endpoints: ReturnType<SrsSimulator['endpoints']>;
  close(): Promise<void>;
}

export async function startSrsSimulator(opts: SrsSimulatorOptions = {}): Promise<RunningSrsSimulator> {
  const sim = await createSrsSimulator({ basePath: '/srs', clientSecret: 'simulator-test-secret', ...opts });
  const app = new Koa();
  app.use(sim.router.routes());
  app.use(sim.router.allowedMethods());
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    sim,
    origin,
    endpoints: sim.endpoints(origin),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function token(s: RunningSrsSimulator): Promise<string> {
  const res = await fetch(s.endpoints.tokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${s.endpoints.clientId}:${s.endpoints.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=miss',
  });
  return ((await res.json()) as { access_token: string }).access_token;
}
