/**
 * The simulator's transaction store: a number's pending requests are found without looking at
 * everyone else's, they stop being pending when they end, and ended ones are forgotten after the
 * retention time, oldest first.
 */
import { describe, expect, it } from 'vitest';

import { FINISHED_RETENTION_MS } from '../../../src/simulators/mobileid/constants.js';
import { MssFault } from '../../../src/simulators/mobileid/faults.js';
import { TransactionStore, type NewTransaction } from '../../../src/simulators/mobileid/transactions.js';

const request = (digits: string, timeoutMs = 80_000): NewTransaction => ({
  apId: 'mid://test',
  msisdn: { raw: `+${digits}`, digits },
  dtbd: 'Test: ok?',
  userLang: 'EN',
  method: 'sim',
  signatureProfile: 'http://mid.swisscom.ch/Any-LoA4',
  geofencingRequested: false,
  mode: 'asynch',
  timeoutMs,
});

describe('TransactionStore', () => {
  it('lists the pending requests of one number, oldest first, and of all numbers', () => {
    let t = 1_000_000;
    const store = new TransactionStore(() => new Date(t));
    const a1 = store.create(request('41790000001'));
    t += 10;
    const b = store.create(request('41790000002'));
    t += 10;
    const a2 = store.create(request('41790000001'));
    expect(store.pending('41790000001').map((tx) => tx.msspTransId)).toEqual([a1.msspTransId, a2.msspTransId]);
    expect(store.pending('41790000003')).toEqual([]);
    expect(store.pending().map((tx) => tx.msspTransId)).toEqual([a1.msspTransId, b.msspTransId, a2.msspTransId]);
    store.close();
  });

  it('stops listing a request once it has ended: answered, or expired on the clock', () => {
    let t = 1_000_000;
    const store = new TransactionStore(() => new Date(t));
    const answered = store.create(request('41790000001'));
    const expiring = store.create(request('41790000001', 5_000));
    store.finish(answered, { kind: 'fault', fault: new MssFault('401') });
    expect(store.pending('41790000001').map((tx) => tx.msspTransId)).toEqual([expiring.msspTransId]);
    t += 5_000;
    expect(store.pending('41790000001')).toEqual([]);
    expect(store.get(expiring.msspTransId)?.outcome).toMatchObject({ kind: 'fault' });
    store.close();
  });

  it('forgets ended requests after the retention time, and keeps the recent and the pending ones', () => {
    let t = 1_000_000;
    const store = new TransactionStore(() => new Date(t));
    const old = store.create(request('41790000001'));
    store.finish(old, { kind: 'fault', fault: new MssFault('401') });
    t += FINISHED_RETENTION_MS / 2;
    const recent = store.create(request('41790000002'));
    store.finish(recent, { kind: 'fault', fault: new MssFault('401') });
    const pending = store.create(request('41790000003', 3 * FINISHED_RETENTION_MS));
    t += FINISHED_RETENTION_MS / 2 + 1;
    store.sweep();
    expect(store.get(old.msspTransId)).toBeUndefined();
    expect(store.get(recent.msspTransId)).toBeDefined();
    expect(store.get(pending.msspTransId)?.outcome).toBeUndefined();
    store.close();
  });
});
