/**
 * A soft limit on the server's resident memory (MEMORY_SOFT_LIMIT_MB).
 *
 * After each full garbage collection V8 lets the old generation grow up to about four times what
 * survived it before collecting again. Under a steady stream of short requests most of that is
 * garbage: with 10 000 pending logins polled, the server reached 310 MB resident, and 124 MB after
 * a full collection.
 *
 * So the old generation is given the room the limit leaves it: the limit less what survived the
 * last full collection and less the most seen resident beside the old generation (code outside
 * the heap, the young generation, native memory), as a growth over what survived (V8's
 * `--heap-growing-percent`, read when V8 sets its next limit), between half of it and one and a
 * half times it. The limit is soft: when what survives leaves less room, the heap still grows by
 * half, so that full collections do not follow each other.
 *
 * A fixed growth of half above the limit (the rule before) made a server under a steady stream of
 * refresh grants, only just above its limit, run a full collection every 0.6 s; given the room
 * it has, it runs one every 1.8 s.
 *
 * V8 keeps to the limit it was given only as long as its marking keeps up: once in a while, under
 * thousands of token requests a second, the old generation went on growing past it for more than
 * a second before V8 collected (heap 151 -> 227 MB, the process 320 MB). So memory is also looked
 * at every 100 ms, and when the process is a quarter above the limit while the old generation
 * holds far more than the least it held lately (what is live; the rest is garbage a collection
 * would free), a full collection is run at once, with a warning logged. (What the old generation
 * holds just after a full collection is no measure of what is live: V8 sweeps the freed pages
 * concurrently, and with one helper thread under load that takes a second or two.)
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

/** The least growth allowed, however little room is left (percent of what survived). */
export const MIN_GROWTH_PERCENT = 50;
/**
 * The most growth allowed. V8 applies the growth set before a full collection to what that one
 * leaves, so when more survives each time (a load coming in, logins piling up) the heap outgrows
 * the limit by the growth times what was added; this bounds that.
 */
export const MAX_GROWTH_PERCENT = 150;
/** How often memory is looked at (for a forced collection), and every how many looks the growth is chosen again. */
const LOOK_EVERY_MS = 100;
const CHOOSE_EVERY_LOOKS = 5;
/** Resident memory above the limit times this forces a full collection (if it would free much). */
export const FORCE_ABOVE_FACTOR = 1.25;
/**
 * A full collection is forced only when the old generation holds more than the least growth over
 * what is live plus this (what V8 adds for the young generation): a heap that is mostly garbage.
 */
const FORCE_SLACK_BYTES = 32 * 1024 * 1024;
/** The least time between a full collection (V8's or forced) and a forced one. */
export const FORCE_SPACING_MS = 250;

/** The spaces of V8's young generation; every other space belongs to the old generation. */
const YOUNG_SPACES = new Set(['new_space', 'new_large_object_space']);

export interface HeapSample {
  /** Resident set size of the process. */
  rssBytes: number;
  /** Bytes of live objects in the old generation (just after a full collection: what survived). */
  oldUsedBytes: number;
  /** Bytes of the old generation resident in memory (its pages, live or not). */
  oldResidentBytes: number;
}

/**
 * The growth to allow the old generation over what survived (`--heap-growing-percent`), so that
 * the process stays within `limitBytes` with `besidesOldBytes` resident beside the old generation.
 */
export function growthPercentFor(oldUsedBytes: number, besidesOldBytes: number, limitBytes: number): number {
  const room = limitBytes - besidesOldBytes - oldUsedBytes;
  const percent = Math.floor((100 * room) / Math.max(oldUsedBytes, 1));
  return Math.min(Math.max(percent, MIN_GROWTH_PERCENT), MAX_GROWTH_PERCENT);
}

/** The process's resident memory and its old generation, now. */
export function heapSample(): HeapSample {
  let oldUsedBytes = 0;
  let oldResidentBytes = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (YOUNG_SPACES.has(space.space_name)) continue;
    oldUsedBytes += space.space_used_size;
    oldResidentBytes += space.physical_space_size;
  }
  return { rssBytes: process.memoryUsage.rss(), oldUsedBytes, oldResidentBytes };
}

/**
 * Whether to force a full collection now: resident memory is well above the limit and the old
 * generation mostly garbage (`liveBytes`: the least it held lately), so V8 has let it outgrow the
 * limit it was given.
 */
export function shouldForceCollection(sample: HeapSample, liveBytes: number, limitBytes: number): boolean {
  return (
    sample.rssBytes > limitBytes * FORCE_ABOVE_FACTOR &&
    sample.oldUsedBytes > liveBytes * (1 + MIN_GROWTH_PERCENT / 100) + FORCE_SLACK_BYTES
  );
}

/**
 * V8's full collection. Node offers it only under `--expose-gc`: it is taken from a context of its
 * own, made while the option is on, so no other code finds a `gc` function.
 */
export function fullCollection(): (() => void) | undefined {
  v8.setFlagsFromString('--expose-gc');
  try {
    const gc: unknown = vm.runInNewContext('gc');
    return typeof gc === 'function' ? () => void gc() : undefined;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

export interface MemoryLog {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SoftLimitOptions {
  /** Tests: the process's memory (default: `heapSample`). */
  sample?: () => HeapSample;
  /** Tests: the full collection to force (default: V8's). */
  collect?: () => void;
}

const MB = 1024 * 1024;

/** A `gc` performance entry: `detail.kind` tells a full collection from a young one. */
type GcEntry = PerformanceEntry & { detail?: { kind?: number } };

/** Keep resident memory within `limitMb` (0: off) by the heap's growth. Returns a stop function. */
export function softMemoryLimit(limitMb: number, log: MemoryLog, opts: SoftLimitOptions = {}): () => void {
  if (limitMb <= 0) return () => undefined;
  const limitBytes = limitMb * MB;
  const sampleNow = opts.sample ?? heapSample;
  const collect = opts.collect ?? fullCollection();
  // When the last full collection ended (V8's or forced).
  let lastFull = performance.now();
  // The least the old generation held since the last full collection, and in the cycle before.
  let lowSinceFull = Infinity;
  let lowBefore = Infinity;
  let current = 0;
  // The most seen resident beside the old generation: the young generation and native memory
  // grow with the load, and the growth chosen now must leave room for them until the next full
  // collection.
  let besidesOld = 0;
  // What survived the last full collection (before the first one: all there is).
  let survived = 0;
  const choose = (afterFullCollection: boolean, sample = sampleNow()) => {
    // Just after a full collection the pages it freed may still be resident for a moment, no
    // longer counted in the old generation: they are not memory beside it.
    if (!afterFullCollection) besidesOld = Math.max(besidesOld, sample.rssBytes - sample.oldResidentBytes);
    if (afterFullCollection || !survived) survived = sample.oldUsedBytes;
    const next = growthPercentFor(survived, besidesOld, limitBytes);
    if (next === current) return;
    current = next;
    v8.setFlagsFromString(`--heap-growing-percent=${next}`);
    // At debug level: under a changing load the growth changes after many a full collection.
    log.debug(
      { rssMb: Math.round(sample.rssBytes / MB), survivedMb: Math.round(survived / MB), besidesOldMb: Math.round(besidesOld / MB), limitMb, growthPercent: next },
      'the heap may grow by what the memory limit leaves',
    );
  };
  const observer = new PerformanceObserver((list) => {
    const full = list.getEntries().some((entry) => (entry as GcEntry).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (!full) return;
    lastFull = performance.now();
    lowBefore = lowSinceFull;
    lowSinceFull = Infinity;
    choose(true);
  });
  observer.observe({ entryTypes: ['gc'] });
  let looks = 0;
  const look = () => {
    const sample = sampleNow();
    // Between full collections too: V8 reads the growth when it sets its next limit, so the one
    // set then must already count the memory beside the old generation that the load has added.
    if (++looks % CHOOSE_EVERY_LOOKS === 0) choose(false, sample);
    lowSinceFull = Math.min(lowSinceFull, sample.oldUsedBytes);
    const live = Math.min(lowSinceFull, lowBefore);
    if (!collect || performance.now() - lastFull < FORCE_SPACING_MS) return;
    if (!shouldForceCollection(sample, live, limitBytes)) return;
    const started = performance.now();
    collect();
    lastFull = performance.now();
    log.warn(
      {
        rssMb: Math.round(sample.rssBytes / MB),
        oldUsedMb: Math.round(sample.oldUsedBytes / MB),
        liveMb: Math.round(live / MB),
        limitMb,
        pauseMs: Math.round(lastFull - started),
      },
      'resident memory is a quarter above its soft limit with the heap mostly garbage: a full garbage collection was forced',
    );
  };
  const timer = setInterval(look, LOOK_EVERY_MS);
  timer.unref();
  choose(false);
  return () => {
    clearInterval(timer);
    observer.disconnect();
    if (current) v8.setFlagsFromString('--heap-growing-percent=0');
  };
}
