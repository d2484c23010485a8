import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';

import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  FORCE_SPACING_MS,
  MAX_GROWTH_PERCENT,
  MIN_GROWTH_PERCENT,
  fullCollection,
  growthPercentFor,
  heapSample,
  shouldForceCollection,
  softMemoryLimit,
  type HeapSample,
} from '../../src/memory.js';

const MB = 1024 * 1024;
const quiet = { debug: () => undefined, warn: () => undefined };

describe('the soft memory limit', () => {
  it('lets the old generation grow into the room the limit leaves beside everything else resident', () => {
    // 200 MB limit, 110 MB beside the old generation, 40 MB survived: 50 MB of room.
    expect(growthPercentFor(40 * MB, 110 * MB, 200 * MB)).toBe(125);
    // More survived: less room, and a smaller growth of a larger part.
    expect(growthPercentFor(50 * MB, 110 * MB, 200 * MB)).toBe(80);
    // More beside it: less room.
    expect(growthPercentFor(40 * MB, 120 * MB, 200 * MB)).toBe(100);
  });

  it('allows at most one and a half times what survived, however much room there is', () => {
    expect(growthPercentFor(35 * MB, 110 * MB, 200 * MB)).toBe(MAX_GROWTH_PERCENT);
    expect(growthPercentFor(20 * MB, 100 * MB, 1000 * MB)).toBe(MAX_GROWTH_PERCENT);
  });

  it('still allows half of what survived when there is little or no room (the limit is soft)', () => {
    expect(growthPercentFor(60 * MB, 110 * MB, 200 * MB)).toBe(MIN_GROWTH_PERCENT);
    expect(growthPercentFor(100 * MB, 140 * MB, 200 * MB)).toBe(MIN_GROWTH_PERCENT);
    expect(growthPercentFor(0, 100 * MB, 50 * MB)).toBe(MIN_GROWTH_PERCENT);
  });

  it('reads the old generation of this process', () => {
    const sample = heapSample();
    expect(sample.oldUsedBytes).toBeGreaterThan(0);
    expect(sample.oldResidentBytes).toBeGreaterThanOrEqual(sample.oldUsedBytes * 0.5);
    expect(sample.rssBytes).toBeGreaterThan(sample.oldResidentBytes);
  });

  it('chooses a growth from the memory of this process as soon as it starts, and nothing when off', () => {
    for (const [limitMb, growth] of [
      [1, MIN_GROWTH_PERCENT],
      [1_000_000, MAX_GROWTH_PERCENT],
    ] as const) {
      const decisions: object[] = [];
      const stop = softMemoryLimit(limitMb, { ...quiet, debug: (obj) => decisions.push(obj) });
      stop();
      expect(decisions).toEqual([expect.objectContaining({ limitMb, growthPercent: growth })]);
    }
    const decisions: object[] = [];
    softMemoryLimit(0, { ...quiet, debug: (obj) => decisions.push(obj) })();
    expect(decisions).toEqual([]);
  });
});

describe('a full collection forced when V8 lets the heap outgrow the limit', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is due only when resident memory is a quarter above the limit and the old generation mostly garbage', () => {
    const limit = 200 * MB;
    const sample = (rssMb: number, oldUsedMb: number): HeapSample => ({ rssBytes: rssMb * MB, oldUsedBytes: oldUsedMb * MB, oldResidentBytes: oldUsedMb * MB });
    // 320 MB resident, 195 MB in the old generation, which held only 40 MB lately.
    expect(shouldForceCollection(sample(320, 195), 40 * MB, limit)).toBe(true);
    // Just above the limit: V8's own collection is left to come.
    expect(shouldForceCollection(sample(240, 195), 40 * MB, limit)).toBe(false);
    // Far above, but what is there is live (it held that much lately): a collection would free little.
    expect(shouldForceCollection(sample(320, 195), 120 * MB, limit)).toBe(false);
    expect(shouldForceCollection(sample(320, 90), 40 * MB, limit)).toBe(false);
  });

  it('runs the collection, warns, and waits before forcing another', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    let current: HeapSample = { rssBytes: 150 * MB, oldUsedBytes: 40 * MB, oldResidentBytes: 45 * MB };
    let collections = 0;
    const warnings: object[] = [];
    const stop = softMemoryLimit(
      200,
      { debug: () => undefined, warn: (obj) => warnings.push(obj) },
      {
        sample: () => current,
        collect: () => {
          collections++;
          current = { rssBytes: 200 * MB, oldUsedBytes: 42 * MB, oldResidentBytes: 120 * MB };
        },
      },
    );
    try {
      vi.advanceTimersByTime(2000);
      expect(collections).toBe(0);
      // V8 lets the old generation run far past its limit.
      current = { rssBytes: 320 * MB, oldUsedBytes: 195 * MB, oldResidentBytes: 200 * MB };
      vi.advanceTimersByTime(100);
      expect(collections).toBe(1);
      expect(warnings).toEqual([expect.objectContaining({ rssMb: 320, oldUsedMb: 195, liveMb: 40, limitMb: 200 })]);
      // Collected: nothing more to do, however long.
      vi.advanceTimersByTime(5000);
      expect(collections).toBe(1);
      // It happens again.
      current = { rssBytes: 320 * MB, oldUsedBytes: 195 * MB, oldResidentBytes: 200 * MB };
      vi.advanceTimersByTime(100);
      expect(collections).toBe(2);
      // And once more at once (the collection freed less than it seemed): the spacing holds it back.
      current = { rssBytes: 320 * MB, oldUsedBytes: 195 * MB, oldResidentBytes: 200 * MB };
      vi.advanceTimersByTime(FORCE_SPACING_MS - 100);
      expect(collections).toBe(2);
      vi.advanceTimersByTime(200);
      expect(collections).toBe(3);
    } finally {
      stop();
    }
  });

  it('leaves alone a process that is large because of what is live in it', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    // As with the embedded database: far above the limit from the start, the old generation full of live data.
    const current: HeapSample = { rssBytes: 400 * MB, oldUsedBytes: 150 * MB, oldResidentBytes: 160 * MB };
    let collections = 0;
    const stop = softMemoryLimit(200, quiet, { sample: () => current, collect: () => void collections++ });
    try {
      vi.advanceTimersByTime(10_000);
      expect(collections).toBe(0);
    } finally {
      stop();
    }
  });

  it('uses V8\'s own full collection without leaving a global gc behind', async () => {
    const globalGc = (globalThis as { gc?: unknown }).gc;
    const collect = fullCollection();
    expect(collect).toBeTypeOf('function');
    expect((globalThis as { gc?: unknown }).gc).toBe(globalGc);
    const full = new Promise<void>((resolve) => {
      const observer = new PerformanceObserver((list) => {
        if (list.getEntries().some((e: PerformanceEntry & { detail?: { kind?: number } }) => e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
          observer.disconnect();
          resolve();
        }
      });
      observer.observe({ entryTypes: ['gc'] });
    });
    collect!();
    await full;
  });
});
