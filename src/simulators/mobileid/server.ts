/** Start the Mobile ID simulator on its own port (sandbox, tests). */
import { serveSimulator, type StartedSimulator } from '../shared/server.js';
import { createMobileIdSimulator, type MobileIdSimulator, type MobileIdSimulatorOptions } from './app.js';

/** `url` is the base URL of the Mobile ID API, e.g. http://127.0.0.1:4010 (the client appends /rest/service/sign). */
export type StartedMobileIdSimulator = StartedSimulator<MobileIdSimulator>;

export async function startMobileIdSimulator(
  opts: MobileIdSimulatorOptions & { port?: number; host?: string } = {},
): Promise<StartedMobileIdSimulator> {
  const { port, host, ...simulatorOptions } = opts;
  // Closing the simulator ends its pending requests, so open connections finish on their own.
  return serveSimulator(await createMobileIdSimulator(simulatorOptions), { port, host, dropOpenRequests: false });
}
