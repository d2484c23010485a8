/**
 * What every benchmark script needs: numeric settings from the environment, a clean-up registry
 * that runs whatever happens (Ctrl-C included), and a wait for a quiet machine.
 */
import { backgroundLoad } from './cpu.js';

/** CPU use by other processes (% of one core) above which a run is marked as disturbed. */
export const BUSY_PCT = 25;

export const log = (message: string): void => console.log(`… ${message}`);
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An `Authorization` header for client_secret_basic (RFC 6749 2.3.1: both parts form-encoded). */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

export function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min} (got "${raw}")`);
  return n;
}

const cleanups: (() => Promise<void>)[] = [];
let cleaningUp: Promise<void> | undefined;

/** Runs the registered clean-ups once, newest first. */
export function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        console.error('clean-up:', err instanceof Error ? err.message : err);
      }
    }
  })();
  return cleaningUp;
}

/** Runs `fn` at clean-up unless it was already run by hand; returns the hand-run version. */
export function onCleanup(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = () => (done ??= fn());
  cleanups.push(once);
  return once;
}

/**
 * Clean up on SIGINT/SIGTERM. Ctrl-C reaches the process twice (from the terminal and relayed by
 * tsx): the first signal starts the clean-up, later ones must not cut it short.
 */
export function cleanUpOnSignals(what: string): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (cleaningUp) return;
      console.error(`\n${signal}: ${what}…`);
      void cleanup().finally(() => process.exit(130));
    });
  }
}

/** Waits up to `seconds` for other processes (not `pids`) to leave the CPU; returns their last load. */
export async function waitForQuiet(pids: number[], seconds: number): Promise<number | undefined> {
  const until = performance.now() + seconds * 1000;
  let busy = await backgroundLoad(500, pids);
  if (busy === undefined || busy <= BUSY_PCT) return busy;
  log(`other processes use ${busy} % of a core: waiting up to ${seconds} s for a quiet machine…`);
  while (busy !== undefined && busy > BUSY_PCT && performance.now() < until) busy = await backgroundLoad(1000, pids);
  return busy;
}
