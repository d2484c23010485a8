/**
 * How fast this machine is today, against the machine the targets were set on.
 *
 * The targets were set against a bare oidc-provider (in memory, 2 cores, load generator on the same machine)
 * measured at client_credentials ~4,700 req/s and refresh ~1,800 req/s. The machines
 * the benchmarks run on vary from hour to hour by more than a factor of two, so each report measures
 * the same bare server in the same run and says how this machine compares: figures of different
 * runs can then be compared, and a target read against the machine it was set on.
 */
import { freePort, startServerProcess } from './children.js';
import { basicAuthorization, onCleanup } from './harness.js';
import { runLoad } from './load.js';

/** The bare oidc-provider's figures where the targets were set, req/s. */
export const REFERENCE_BARE = { client_credentials: 4700, refresh_token: 1800 } as const;

export interface MachineSpeed {
  /** The bare oidc-provider's client_credentials grants per second here, now. */
  bareClientCredentialsPerSec: number;
  /** That over the reference figure: above 1, this machine is faster than the one the targets were set on. */
  factor: number;
}

export function speedFactor(measured: number, reference: number): number {
  return Math.round((measured / reference) * 100) / 100;
}

/** One line for a report: the bare server's rate here against the reference figure. */
export function describeSpeed(endpoint: keyof typeof REFERENCE_BARE, measured: number): string {
  const factor = speedFactor(measured, REFERENCE_BARE[endpoint]);
  return `bare oidc-provider ${endpoint} ${Math.round(measured).toLocaleString('en-US')} req/s here against ~${REFERENCE_BARE[endpoint].toLocaleString('en-US')} where the targets were set: this machine runs at ${factor}× that speed`;
}

/**
 * Starts the bare oidc-provider of `npm run bench` (same Node options), runs client_credentials at
 * 50 connections for `seconds` after `warmup` seconds, and stops it.
 */
export async function measureMachineSpeed(opts: { seconds: number; warmup: number }): Promise<MachineSpeed> {
  const server = await startServerProcess({ name: 'bare', script: 'bench/servers/bare.ts', args: { port: await freePort() } });
  const stop = onCleanup(() => server.stop());
  try {
    const { url, clientId, clientSecret } = server.info;
    const figures = await runLoad(
      {
        url: `${url}/token`,
        method: 'POST',
        headers: { authorization: basicAuthorization(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
        connections: 50,
        duration: opts.seconds,
      },
      { warmup: opts.warmup },
    );
    if (figures.ok2xx === 0 || figures.non2xx + figures.errors > 0) {
      throw new Error(`the bare server's client_credentials grant failed (${JSON.stringify(figures.statusCodes)}, ${figures.errors} errors)`);
    }
    return { bareClientCredentialsPerSec: Math.round(figures.reqPerSec), factor: speedFactor(figures.reqPerSec, REFERENCE_BARE.client_credentials) };
  } finally {
    await stop();
  }
}
