/**
 * SRS identifications across requests and instances: one order per draft, the per-account limit,
 * one verification per identification however callbacks and polls interleave, leases that only
 * their holder releases, and what an ended identification forgets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findOrCreateAccount } from '../../../src/accounts/index.js';
import type { Db } from '../../../src/db/index.js';
import { createLogger } from '../../../src/logger.js';
import { listVerifications } from '../../../src/verification/index.js';
import { leaseMs } from '../../../src/verification/srs/identifications.js';
import { SrsError, SrsIdentifications, loadSrsPolicy, type CatalogueEntry, type SrsClient, type VerifyResult } from '../../../src/verification/srs/index.js';
import type { CallbackClaims } from '../../../src/verification/srs/index.js';
import { migratedDb } from '../../helpers/db.js';

let db: Db;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ db, cleanup } = await migratedDb());
});
afterAll(() => cleanup());

const policy = loadSrsPolicy('policies/srs.json');
const TIMEOUT_MS = 10_000;
const T0 = new Date('2026-11-23T10:00:00Z');
const ANNA = { givenNames: 'Anna Maria', familyName: 'Müller', birthDate: '1985-02-28', nationality: 'CH', email: 'anna@example.ch' };
const PROVEN = { givenNames: 'Anna Maria', familyName: 'Müller', birthDate: '1985-02-28', nationality: 'CH' };
const VIDEO: CatalogueEntry = {
  loa: 4,
  issuer: 'Video-ISP',
  webflow: true,
  jurisdictions: ['ZERTES'],
  realtimeMethods: ['video'],
  offline: false,
  identificationData: [],
  additionalData: [],
  defaultLocale: undefined,
};

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A stand-in for SrsClient whose answers the test decides. */
class FakeClient {
  starts = 0;
  verifies = 0;
  startWith: () => Promise<{ refId: string; targetUrl: string }> = async () => ({ refId: `ref-${++refs}`, targetUrl: 'https://isp.example/x' });
  verifyWith: () => Promise<VerifyResult> = async () => ({ verified: true, evidenceId: 'EV-1', vetterMsisdn: undefined, serialNumber: undefined });
  statusWith: () => Promise<unknown> = async () => {
    throw new SrsError({ code: 'unavailable', detail: 'test' });
  };
  async catalogue() {
    return [VIDEO];
  }
  async start() {
    this.starts++;
    return this.startWith();
  }
  async verify() {
    this.verifies++;
    return this.verifyWith();
  }
  async identification() {
    return this.statusWith();
  }
}
let refs = 0;
let msisdns = 0;

function service(client: FakeClient, now: () => Date) {
  return new SrsIdentifications(
    db,
    client as unknown as SrsClient,
    { policy, claimedIdentity: 'servicecore', callbackUrl: 'https://login.example/callbacks/srs', pollIntervalMs: 1000, identificationTtlSeconds: 3600, validityDays: 365, timeoutMs: TIMEOUT_MS },
    createLogger('silent'),
    now,
  );
}

async function draft(s: SrsIdentifications, accountId?: string) {
  const id = accountId ?? (await findOrCreateAccount(db, `417912699${String(++msisdns).padStart(2, '0')}`, 'SN-1')).account.id;
  const uid = `uid-${Math.random().toString(16).slice(2)}`;
  return s.prepare({ accountId: id, serial: 'SN-1', interactionUid: uid, locale: 'en', returnUrl: `/interaction/${uid}/stepup/login-1`, issuer: 'https://login.example' }, 'srs-video');
}

const claims = (refId: string, o: Partial<CallbackClaims> = {}): CallbackClaims => ({
  jti: `jti-${Math.random()}`,
  refId,
  status: 'data_ready',
  identity: PROVEN,
  evidenceId: 'EV-1',
  expiresAt: new Date(T0.getTime() + 600_000),
  ...o,
});

async function row(id: string) {
  return (await db('srs_identifications').where({ id }).first()) as Record<string, unknown>;
}

async function approvedAudits(accountId: string) {
  return (await db('audit_events').where({ subject: `account:${accountId}`, action: 'verification.approved' })).length;
}

describe('SRS start', () => {
  it('orders an identification once however many requests submit the form at the same time', async () => {
    const client = new FakeClient();
    const s = service(client, () => T0);
    const d = await draft(s);
    const gate = deferred<void>();
    client.startWith = async () => {
      await gate.promise;
      return { refId: `ref-${++refs}`, targetUrl: 'https://isp.example/once' };
    };
    const all = Promise.all([s.begin(d.id, ANNA), s.begin(d.id, ANNA), s.begin(d.id, ANNA)]);
    await new Promise((r) => setTimeout(r, 100));
    gate.resolve();
    const results = await all;
    expect(client.starts).toBe(1);
    expect(new Set(results.map((r) => r.refId)).size).toBe(1);
    expect(results.every((r) => r.status === 'started')).toBe(true);
    expect((await row(d.id)).lease_token).toBeNull();
  });

  it('goes back to the draft with the details when SRS cannot be reached, and the user can retry', async () => {
    const client = new FakeClient();
    const s = service(client, () => T0);
    const d = await draft(s);
    client.startWith = async () => {
      throw new SrsError({ code: 'unavailable', detail: 'test' });
    };
    await expect(s.begin(d.id, ANNA)).rejects.toMatchObject({ code: 'unavailable' });
    const back = (await s.get(d.id))!;
    expect(back).toMatchObject({ status: 'draft', details: ANNA, startedAt: undefined });
    client.startWith = async () => ({ refId: `ref-${++refs}`, targetUrl: 'https://isp.example/retry' });
    expect(await s.begin(d.id, ANNA)).toMatchObject({ status: 'started', targetUrl: 'https://isp.example/retry' });
  });

  it('counts starts by when they were ordered, not when their draft was made', async () => {
    const client = new FakeClient();
    const s = service(client, () => T0);
    const { account } = await findOrCreateAccount(db, '41791269990', 'SN-1');
    const drafts = [];
    for (let n = 0; n < policy.startsPerAccountPerHour + 1; n++) drafts.push(await draft(s, account.id));
    // Drafts made long ago (another login each), all started now.
    await db('srs_identifications').whereIn('id', drafts.map((d) => d.id)).update({ created_at: new Date(T0.getTime() - 3 * 3600_000), expires_at: new Date(T0.getTime() + 3600_000) });
    for (const d of drafts.slice(0, -1)) expect((await s.begin(d.id, ANNA)).status).toBe('started');
    await expect(s.begin(drafts.at(-1)!.id, ANNA)).rejects.toMatchObject({ code: 'srs_rate_limited', status: 429 });
    expect(client.starts).toBe(policy.startsPerAccountPerHour);
    expect((await s.get(drafts.at(-1)!.id))!).toMatchObject({ status: 'draft', details: ANNA });
  });
});

describe('SRS confirmation', () => {
  it('holds the lease longer than twice the call timeout', () => {
    expect(leaseMs(60_000, 1)).toBeGreaterThan(2 * 60_000);
    expect(leaseMs(TIMEOUT_MS, 1)).toBeGreaterThan(2 * TIMEOUT_MS);
  });

  it('records one verification when a poll arrives while a slow verify call of the callback runs', async () => {
    const client = new FakeClient();
    const a = service(client, () => T0);
    const d = await draft(a);
    const started = await a.begin(d.id, ANNA);
    const slow = deferred<VerifyResult>();
    client.verifyWith = () => slow.promise;
    const viaCallback = a.callback(claims(started.refId!));
    await new Promise((r) => setTimeout(r, 100));

    // Another instance polls 40 s later, while the verify call (timeout 10 s, twice) may still run.
    const b = service(client, () => new Date(T0.getTime() + 40_000));
    client.statusWith = async () => ({ refId: started.refId, current: 'data_ready', identity: PROVEN, evidenceId: 'EV-1', unknown: [], history: [] });
    client.verifyWith = async () => ({ verified: true, evidenceId: 'EV-1', vetterMsisdn: undefined, serialNumber: undefined });
    await b.check(d.id);
    slow.resolve({ verified: true, evidenceId: 'EV-1', vetterMsisdn: undefined, serialNumber: undefined });
    expect((await viaCallback).status).toBe('approved');
    expect(await listVerifications(db, d.accountId)).toHaveLength(1);
    expect(await approvedAudits(d.accountId)).toBe(1);
  });

  it('records nothing twice when a lease ran out and another instance confirmed meanwhile, and leaves its lease alone', async () => {
    const client = new FakeClient();
    const a = service(client, () => T0);
    const d = await draft(a);
    const started = await a.begin(d.id, ANNA);
    const slowA = deferred<VerifyResult>();
    client.verifyWith = () => slowA.promise;
    const viaA = a.callback(claims(started.refId!));
    await new Promise((r) => setTimeout(r, 100));

    // Long after A's lease ran out, B takes over; its verify call is slow too.
    const b = service(client, () => new Date(T0.getTime() + leaseMs(TIMEOUT_MS, 1) + 1000));
    const slowB = deferred<VerifyResult>();
    client.verifyWith = () => slowB.promise;
    const viaB = b.callback(claims(started.refId!));
    await new Promise((r) => setTimeout(r, 100));
    const leaseOfB = (await row(d.id)).lease_token;
    expect(leaseOfB).toBeTruthy();

    // A learns the evidence is not there yet and gives up: B's lease stays.
    slowA.resolve({ verified: false, httpStatus: 404 });
    await viaA;
    expect((await row(d.id)).lease_token).toBe(leaseOfB);
    expect((await row(d.id)).lease_until).not.toBeNull();

    slowB.resolve({ verified: true, evidenceId: 'EV-1', vetterMsisdn: undefined, serialNumber: undefined });
    expect((await viaB).status).toBe('approved');
    expect(await listVerifications(db, d.accountId)).toHaveLength(1);
  });

  it('rolls the second recording back when the identification was recorded meanwhile', async () => {
    const client = new FakeClient();
    const a = service(client, () => T0);
    const d = await draft(a);
    const started = await a.begin(d.id, ANNA);
    const slowA = deferred<VerifyResult>();
    client.verifyWith = () => slowA.promise;
    const viaA = a.callback(claims(started.refId!));
    await new Promise((r) => setTimeout(r, 100));

    const b = service(client, () => new Date(T0.getTime() + leaseMs(TIMEOUT_MS, 1) + 1000));
    client.verifyWith = async () => ({ verified: true, evidenceId: 'EV-1', vetterMsisdn: undefined, serialNumber: undefined });
    expect((await b.callback(claims(started.refId!))).status).toBe('approved');

    slowA.resolve({ verified: true, evidenceId: 'EV-1', vetterMsisdn: undefined, serialNumber: undefined });
    expect((await viaA).status).toBe('approved');
    expect(await listVerifications(db, d.accountId)).toHaveLength(1);
    expect(await approvedAudits(d.accountId)).toBe(1);
  });

  it('requires the evidence found to be the one the identification reported', async () => {
    const client = new FakeClient();
    const s = service(client, () => T0);
    const d = await draft(s);
    const started = await s.begin(d.id, ANNA);
    client.verifyWith = async () => ({ verified: true, evidenceId: 'EV-OLD', vetterMsisdn: undefined, serialNumber: undefined });
    expect((await s.callback(claims(started.refId!, { evidenceId: 'EV-NEW' }))).status).toBe('failed');
    expect(await listVerifications(db, d.accountId)).toEqual([]);
  });

  it('refuses a callback for an identification that has expired, recording nothing', async () => {
    const client = new FakeClient();
    const d = await draft(service(client, () => T0));
    const started = await service(client, () => T0).begin(d.id, ANNA);
    const late = service(client, () => new Date(T0.getTime() + 3601_000));
    await expect(late.callback(claims(started.refId!))).rejects.toMatchObject({ code: 'callback_expired' });
    expect(client.verifies).toBe(0);
    expect(await listVerifications(db, d.accountId)).toEqual([]);
    expect((await late.get(d.id))!).toMatchObject({ status: 'failed', messageKey: 'verification.srs.expired', details: undefined, proven: undefined });
  });

  it('forgets the claimed and proven identity and the e-mail address when the identification ends', async () => {
    const client = new FakeClient();
    const s = service(client, () => T0);
    const recorded = await draft(s);
    await s.callback(claims((await s.begin(recorded.id, ANNA)).refId!));
    const cancelled = await draft(s);
    await s.callback(claims((await s.begin(cancelled.id, ANNA)).refId!, { status: 'cancelled_by_user' }));
    const mismatch = await draft(s);
    await s.callback(claims((await s.begin(mismatch.id, ANNA)).refId!, { identity: { ...PROVEN, birthDate: '1985-03-01' } }));
    for (const [id, status] of [
      [recorded.id, 'approved'],
      [cancelled.id, 'cancelled'],
      [mismatch.id, 'failed'],
    ] as const) {
      const r = await row(id);
      expect(r).toMatchObject({ status, claimed: null, proven: null });
    }
    const [v] = await listVerifications(db, recorded.accountId);
    expect(v!.evidence).toMatchObject({ given_name: 'Anna Maria', birthdate: '1985-02-28' });
  });
});
