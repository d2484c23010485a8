/** Start the Freja eID simulator on its own port (tests, local experiments). */
import { serveSimulator, type StartedSimulator } from '../shared/server.js';
import { createFrejaSimulator, type FrejaSimulator, type FrejaSimulatorOptions } from './simulator.js';

/** `url` is the base URL of the API, e.g. http://127.0.0.1:4020 (the client appends /authentication/1.0/…). */
export type StartedFrejaSimulator = StartedSimulator<FrejaSimulator>;

export async function startFrejaSimulator(opts: FrejaSimulatorOptions & { port?: number; host?: string } = {}): Promise<StartedFrejaSimulator> {
  const { port, host, ...rest } = opts;
  // A request held by a fault (delayMs) would keep the server open: end it.
  return serveSimulator(await createFrejaSimulator(rest), { port, host, dropOpenRequests: true });
}
