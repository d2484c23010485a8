/** Callback ids are remembered in the database, shared by every instance, until they expire. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Db } from '../../../src/db/index.js';
import { dbReplayStore } from '../../../src/verification/srs/index.js';
import { migratedDb } from '../../helpers/db.js';

let db: Db;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ db, cleanup } = await migratedDb());
});
afterAll(() => cleanup());

describe('SRS callback replay store', () => {
  it('accepts an id once, for every instance, and forgets it after it expires', async () => {
    let now = new Date('2026-11-23T10:00:00Z');
    const a = dbReplayStore(db, () => now);
    const b = dbReplayStore(db, () => now);
    const exp = new Date('2026-11-23T10:05:00Z');
    expect(await a.remember('jti-00000001', 'ref-1', exp)).toBe(true);
    expect(await b.remember('jti-00000001', 'ref-1', exp)).toBe(false);
    expect(await a.remember('jti-00000002', 'ref-1', exp)).toBe(true);
    now = new Date('2026-11-23T10:06:00Z');
    expect(await b.remember('jti-00000003', 'ref-2', new Date('2026-11-23T10:10:00Z'))).toBe(true);
    const left = (await db('srs_callback_jtis').select('jti').orderBy('jti')) as { jti: string }[];
    expect(left.map((r) => r.jti)).toEqual(['jti-00000003']);
  });
});
