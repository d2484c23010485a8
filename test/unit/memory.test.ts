import { describe, expect, it } from 'vitest';

import { MAX_GROWTH_PERCENT, MIN_GROWTH_PERCENT, growthPercentFor, heapSample, softMemoryLimit } from '../../src/memory.js';

const MB = 1024 * 1024;

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
      const stop = softMemoryLimit(limitMb, { debug: (obj) => decisions.push(obj) });
      stop();
      expect(decisions).toEqual([expect.objectContaining({ limitMb, growthPercent: growth })]);
    }
    const decisions: object[] = [];
    softMemoryLimit(0, { debug: (obj) => decisions.push(obj) })();
    expect(decisions).toEqual([]);
  });
});
