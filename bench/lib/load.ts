/** One load run with autocannon, in this process, and the figures kept from it. */
import autocannon from 'autocannon';

import type { CpuUsage } from './cpu.js';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** A new body for every request (refresh tokens are single use). */
  nextBody?: () => string | undefined;
  /** A 200 is only a success when its body passes (e.g. introspection: active). */
  verifyBody?: (body: string) => boolean;
  connections: number;
  /** Seconds. */
  duration: number;
}

export interface LoadFigures {
  /** Average of the per-second request counts (all responses, whatever their status). */
  reqPerSec: number;
  /** Total responses. */
  requests: number;
  ok2xx: number;
  /** Latency in ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  /** Connection errors, including timeouts. */
  errors: number;
  timeouts: number;
  /** 2xx whose body failed verification. */
  mismatches: number;
  statusCodes: Record<string, number>;
  /** Seconds actually run. */
  duration: number;
  /** The supply of single-use request bodies ran out before the end. */
  exhausted: boolean;
  /** Where the CPU went during the run (Linux only). */
  cpu?: CpuUsage;
}

export function failures(f: LoadFigures): number {
  return f.non2xx + f.errors + f.mismatches + (f.exhausted ? 1 : 0);
}

export async function runLoad(spec: LoadSpec): Promise<LoadFigures> {
  let exhausted = false;
  let instance: autocannon.Instance | undefined;
  const request: autocannon.Request = { method: spec.method, path: new URL(spec.url).pathname };
  if (spec.nextBody) {
    const nextBody = spec.nextBody;
    request.setupRequest = (req) => {
      const body = nextBody();
      if (body === undefined) {
        // Stop instead of re-sending a used token; the run is flagged.
        if (!exhausted) {
          exhausted = true;
          setImmediate(() => instance?.stop());
        }
        return { ...req, body: 'grant_type=refresh_token&refresh_token=exhausted' };
      }
      return { ...req, body };
    };
  }
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: new URL(spec.url).origin,
        connections: spec.connections,
        duration: spec.duration,
        timeout: 10,
        method: spec.method,
        headers: spec.headers ?? {},
        ...(spec.body !== undefined ? { body: spec.body } : {}),
        requests: [request],
        ...(spec.verifyBody ? { verifyBody: spec.verifyBody } : {}),
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
  const requests = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  return {
    reqPerSec: round(result.requests.average),
    requests,
    ok2xx: result['2xx'],
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    statusCodes,
    duration: result.duration,
    exhausted,
  };
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
