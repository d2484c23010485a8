/**
 * A soft limit on the server's resident memory (MEMORY_SOFT_LIMIT_MB).
 *
 * After each full garbage collection V8 lets the heap grow up to about four times what survived
 * it before collecting again. Under a steady stream of short requests most of that is garbage:
 * with 10 000 pending logins polled, the server reached 310 MB resident, and 124 MB after a full
 * collection. Above the soft limit, the heap may grow by only half of what survived (V8's
 * `--heap-growing-percent`, read at every collection), which costs more collection work; once
 * memory is back below 85 % of the limit, V8 chooses again. Below the limit nothing changes, so
 * the throughput of a server with room to spare is not affected.
 */
import v8 from 'node:v8';

/** How far the heap may grow beyond what survived the last full collection, while over the limit. */
export const LIMITED_GROWTH_PERCENT = 50;
const RESUME_BELOW = 0.85;
const CHECK_EVERY_MS = 500;

export type HeapGrowth = 'free' | 'limited';

/** The growth policy for a resident size, given the current one (hysteresis between 85 % and 100 %). */
export function heapGrowthFor(rssBytes: number, limitBytes: number, current: HeapGrowth): HeapGrowth {
  if (rssBytes > limitBytes) return 'limited';
  if (rssBytes < limitBytes * RESUME_BELOW) return 'free';
  return current;
}

export interface MemoryLog {
  debug(obj: object, msg: string): void;
}

/** Watch resident memory and limit heap growth above `limitMb` (0: off). Returns a stop function. */
export function softMemoryLimit(limitMb: number, log: MemoryLog): () => void {
  if (limitMb <= 0) return () => undefined;
  const limitBytes = limitMb * 1024 * 1024;
  let growth: HeapGrowth = 'free';
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    const next = heapGrowthFor(rss, limitBytes, growth);
    if (next === growth) return;
    growth = next;
    v8.setFlagsFromString(`--heap-growing-percent=${growth === 'limited' ? LIMITED_GROWTH_PERCENT : 0}`);
    // At debug level: under a steady load the process may cross the limit now and then.
    log.debug({ rssMb: Math.round(rss / 1024 / 1024), limitMb, growth }, growth === 'limited' ? 'memory above its soft limit: collecting garbage more eagerly' : 'memory back below its soft limit');
  }, CHECK_EVERY_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (growth === 'limited') v8.setFlagsFromString('--heap-growing-percent=0');
  };
}
