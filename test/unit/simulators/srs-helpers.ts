/** The SRS simulator on a loopback port of its own, for the simulator and client tests. */
import { serveSimulator } from '../../../src/simulators/shared/server.js';
import { createSrsSimulator, type SrsSimulator, type SrsSimulatorOptions } from '../../../src/simulators/srs/index.js';

export interface RunningSrsSimulator {
  sim: SrsSimulator;
  origin: string;
  endpoints: ReturnType<SrsSimulator['endpoints']>;
  close(): Promise<void>;
}

export async function startSrsSimulator(opts: SrsSimulatorOptions = {}): Promise<RunningSrsSimulator> {
  const sim = await createSrsSimulator({ basePath: '/srs', clientSecret: 'simulator-test-secret', ...opts });
  const served = await serveSimulator(sim, { dropOpenRequests: true });
  const origin = new URL(served.url).origin;
  return { sim, origin, endpoints: sim.endpoints(origin), close: served.close };
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
