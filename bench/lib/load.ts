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
  /** Responses received in the measured window per second (all, whatever their status). */
  reqPerSec: number;
  /** Total responses. */
  requests: number;
  ok2xx: number;
  /** Latency in ms of the responses received in the window. */
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
  /** Seconds measured (the window after the warm-up). */
  duration: number;
  /** The supply of single-use request bodies ran out before the end. */
  exhausted: boolean;
  /** Where the CPU went during the run (Linux only). */
  cpu?: CpuUsage;
  /** The server's largest RSS sampled during the run (warm-up included), bytes. */
  maxRss?: number;
}

export function failures(f: LoadFigures): number {
  return f.non2xx + f.errors + f.mismatches + (f.exhausted ? 1 : 0);
}

/** Latency percentiles (nearest rank) and maximum of a sample, in ms to 0.1. */
export function latencies(values: ArrayLike<number>): { p50: number; p90: number; p99: number; max: number } {
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) =>
    sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  return { p50: round(at(50)), p90: round(at(90)), p99: round(at(99)), max: round(sorted.at(-1) ?? 0) };
}

export interface LoadWindow {
  /** Seconds of load before the measured window (not counted), on the same connections. */
  warmup: number;
  /** Called when the measured window opens (CPU snapshot, profiler). */
  onWindowStart?: () => void;
}

/**
 * One autocannon run of warm-up + duration seconds on the same connections; only the responses
 * received after the warm-up count. (A run of its own for the warm-up would open the measured
 * run with `connections` new connections sending their first requests at once: a burst no server
 * sees in steady state, which added 100–250 ms latencies to the first 200 ms of every run, ours
 * and bare alike.) Failures (errors, timeouts, mismatched bodies) count over the whole run.
 */
export async function runLoad(spec: LoadSpec, window: LoadWindow = { warmup: 0 }): Promise<LoadFigures> {
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
  let openedAt: number | undefined;
  const latency: number[] = [];
  const statusCodes: Record<string, number> = {};
  let timer: NodeJS.Timeout | undefined;
  const open = () => {
    openedAt = performance.now();
    window.onWindowStart?.();
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: new URL(spec.url).origin,
        connections: spec.connections,
        duration: window.warmup + spec.duration,
        timeout: 10,
        method: spec.method,
        headers: spec.headers ?? {},
        ...(spec.body !== undefined ? { body: spec.body } : {}),
        requests: [request],
        ...(spec.verifyBody ? { verifyBody: spec.verifyBody } : {}),
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.once('start', () => {
      if (window.warmup > 0) timer = setTimeout(open, window.warmup * 1000);
      else open();
    });
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (openedAt === undefined) return;
      latency.push(responseTime);
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    });
  }).finally(() => clearTimeout(timer));
  const seconds = openedAt === undefined ? 0 : (performance.now() - openedAt) / 1000;
  const requests = latency.length;
  const ok2xx = Object.entries(statusCodes).reduce((n, [code, count]) => (code.startsWith('2') ? n + count : n), 0);
  return {
    reqPerSec: seconds > 0 ? round(requests / seconds) : 0,
    requests,
    ok2xx,
    ...latencies(latency),
    non2xx: requests - ok2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    statusCodes,
    duration: round(seconds, 2),
    exhausted,
  };
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
