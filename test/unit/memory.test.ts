import { describe, expect, it } from 'vitest';

import { heapGrowthFor } from '../../src/memory.js';

const MB = 1024 * 1024;

describe('the soft memory limit', () => {
  it('limits heap growth above the limit and frees it below 85 % of it, keeping the current choice in between', () => {
    const limit = 200 * MB;
    expect(heapGrowthFor(150 * MB, limit, 'free')).toBe('free');
    expect(heapGrowthFor(201 * MB, limit, 'free')).toBe('limited');
    expect(heapGrowthFor(180 * MB, limit, 'limited')).toBe('limited');
    expect(heapGrowthFor(180 * MB, limit, 'free')).toBe('free');
    expect(heapGrowthFor(169 * MB, limit, 'limited')).toBe('free');
  });
});
