/**
 * Counter cases against the database: one open case per account, the verifier's lock (a second
 * verifier is refused until the first finishes or the lock times out), single use of the code,
 * expiry, and the verification record and audit log each step leaves.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { findOrCreateAccount } from '../../src/accounts/index.js';
import type { Db } from '../../src/db/index.js';
import { listVerifications } from '../../src/verification/index.js';
import { counterKeys, CounterService, type CounterCase } from '../../src/verification/manual/index.js';
import { migratedDb } from '../helpers/db.js';

let db: Db;
let cleanup: () => Promise<void>;
let now: Date;
let service: CounterService;
let user: string;
let alice: string;
let bob: string;

const identity = { givenNames: 'Anna Maria', familyName: 'Muster', birthDate: '1985-04-12', nationality: 'CH' };
const document = { document_type: 'idcard', document_number: 'C1234567', issuing_country: 'CH', expiry_date: '2031-12-31', checked: 'yes' };
let counter = 0;

async function account(): Promise<string> {
  counter += 1;
  return (await findOrCreateAccount(db, `4179555${String(counter).padStart(4, '0')}`)).account.id;
}

const audits = async (caseId: string) => ((await db('audit_events').where({ subject: `counter-case:${caseId}` }).orderBy('id')) as { action: string; actor: string; detail: unknown }[]);

beforeAll(async () => {
  ({ db, cleanup } = await migratedDb());
  alice = await account();
  bob = await account();
});
afterAll(async () => cleanup());
beforeEach(async () => {
  now = new Date('2025-06-01T08:00:00Z');
  service = new CounterService({ db, keys: counterKeys('x'.repeat(40)), caseTtlDays: 30, lockMinutes: 15, validityDays: 1826, now: () => now });
  user = await account();
});

async function newCase(): Promise<CounterCase> {
  return (await service.create({ accountId: user, claimed: identity, serial: 'SAS01ABC', locale: 'de' })).case;
}

describe('a counter case', () => {
  it('starts with a pending verification bound to the serial, once per account', async () => {
    const { case: c, created } = await service.create({ accountId: user, claimed: identity, serial: 'SAS01ABC', locale: 'de' });
    expect(created).toBe(true);
    expect(c).toMatchObject({ state: 'open', accountId: user, claimed: identity, locale: 'de', boundSerial: 'SAS01ABC' });
    expect(c.expiresAt.toISOString()).toBe('2025-07-01T08:00:00.000Z');
    const [v] = await listVerifications(db, user);
    expect(v).toMatchObject({ id: c.verificationId, method: 'manual-counter', kind: 'manual', status: 'pending', providerReference: c.id, boundSerial: 'SAS01ABC' });

    const again = await service.create({ accountId: user, claimed: { ...identity, givenNames: 'Other' }, serial: 'SAS01ABC', locale: 'de' });
    expect(again).toMatchObject({ created: false, case: { id: c.id } });
    expect(await listVerifications(db, user)).toHaveLength(1);
    expect((await audits(c.id)).map((a) => a.action)).toEqual(['counter.case.create']);
    expect(JSON.stringify(await audits(c.id))).not.toMatch(/Anna|Muster|(?<![\w-])1985(?!\w)/);
  });

  it('is opened by its QR reference or short code and locked to that verifier', async () => {
    const c = await newCase();
    const url = await service.scanUrl('https://login.example.ch', c);
    const opened = await service.open(url, alice);
    expect(opened).toMatchObject({ ok: true, case: { id: c.id, lockedBy: alice } });
    expect(await service.held(c.id, alice)).toBeDefined();
    expect(await service.open(c.shortCode.toLowerCase(), alice), 'the holder may open it again').toMatchObject({ ok: true });

    const second = await service.open(`${c.shortCode.slice(0, 4)}-${c.shortCode.slice(4)}`, bob);
    expect(second).toMatchObject({ ok: false, reason: 'locked', lockedBy: alice });
    expect(await service.held(c.id, bob)).toBeUndefined();

    now = new Date(now.getTime() + 16 * 60_000);
    expect(await service.open(c.shortCode, bob), 'the lock timed out').toMatchObject({ ok: true, case: { lockedBy: bob } });
    expect(await service.approve(c.id, alice, document)).toEqual({ ok: false, reason: 'not_held' });
    const actions = (await audits(c.id)).map((a) => a.action);
    expect(actions).toEqual(['counter.case.create', 'counter.case.open', 'counter.case.open', 'counter.case.open_refused', 'counter.case.open']);
  });

  it('lets exactly one of two verifiers opening at the same moment have it', async () => {
    const c = await newCase();
    const results = await Promise.all([service.open(c.shortCode, alice), service.open(c.shortCode, bob)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toMatchObject([{ reason: 'locked' }]);
  });

  it('is approved with the document: the verification counts, the code is used up', async () => {
    const c = await newCase();
    await service.open(c.shortCode, alice);
    const invalid = await service.approve(c.id, alice, { ...document, expiry_date: '2025-05-31' });
    expect(invalid).toMatchObject({ ok: false, reason: 'invalid_form', errors: { expiry_date: 'admin.desk.error.document_expired' } });

    const approved = await service.approve(c.id, alice, document);
    expect(approved).toMatchObject({ ok: true, case: { state: 'approved', decidedBy: alice, document: { type: 'idcard', number: 'C1234567', issuingCountry: 'CH', expiryDate: '2031-12-31' } } });
    const [v] = await listVerifications(db, user);
    expect(v).toMatchObject({ status: 'approved', verifiedAt: now, boundSerial: 'SAS01ABC' });
    expect(v!.expiresAt.toISOString()).toBe(new Date(Date.UTC(2025, 5, 1 + 1826, 8)).toISOString());
    expect(v!.evidence).toMatchObject({
      given_name: 'Anna Maria',
      family_name: 'Muster',
      birthdate: '1985-04-12',
      nationalities: ['CH'],
      evidence_type: 'document',
      document_details: { type: 'idcard', document_number: 'C1234567', issuer: { country: 'CH' }, date_of_expiry: '2031-12-31' },
    });

    const url = await service.scanUrl('https://login.example.ch', c);
    expect(await service.open(url, bob)).toMatchObject({ ok: false, reason: 'used' });
    expect(await service.open(c.shortCode, alice)).toMatchObject({ ok: false, reason: 'used' });
    const trail = await audits(c.id);
    expect(trail.map((a) => a.action)).toContain('counter.case.approve');
    expect(JSON.stringify(trail)).not.toMatch(/C1234567|Anna|Muster|(?<![\w-])1985(?!\w)/);
  });

  it('is rejected with a reason code only', async () => {
    const c = await newCase();
    await service.open(c.shortCode, alice);
    expect(await service.reject(c.id, alice, 'because I say so')).toEqual({ ok: false, reason: 'invalid_reason' });
    expect(await service.reject(c.id, alice, 'photo_mismatch')).toMatchObject({ ok: true, case: { state: 'rejected', reason: 'photo_mismatch' } });
    expect((await listVerifications(db, user))[0]).toMatchObject({ status: 'rejected', evidence: { rejection_reason: 'photo_mismatch' } });
    expect(await service.lastClosedCaseOf(user)).toMatchObject({ id: c.id, state: 'rejected' });
    expect(await service.openCaseOf(user)).toBeUndefined();
  });

  it('cannot be checked by the person it belongs to', async () => {
    const c = await newCase();
    expect(await service.open(c.shortCode, user)).toMatchObject({ ok: false, reason: 'own_case' });
  });

  it('can be withdrawn by the user, but not while a verifier checks it', async () => {
    const c = await newCase();
    await service.open(c.shortCode, alice);
    expect(await service.cancel(user, c.id)).toBe('in_check');
    expect(await service.release(c.id, alice)).toBe(true);
    expect(await service.cancel(user, c.id)).toBe('cancelled');
    expect((await listVerifications(db, user))[0]).toMatchObject({ status: 'revoked' });
    expect(await service.open(c.shortCode, bob)).toMatchObject({ ok: false, reason: 'cancelled' });
    expect((await audits(c.id)).map((a) => a.action)).toEqual(['counter.case.create', 'counter.case.open', 'counter.case.release', 'counter.case.cancel', 'counter.case.open_refused']);
  });

  it('expires with its document; an expired or foreign reference is refused', async () => {
    const c = await newCase();
    const url = await service.scanUrl('https://login.example.ch', c);
    now = new Date(c.expiresAt.getTime() + 1000);
    expect(await service.open(url, alice)).toMatchObject({ ok: false, reason: 'expired', caseId: c.id });
    expect(await service.open(c.shortCode, alice)).toMatchObject({ ok: false, reason: 'expired' });
    expect(await service.find(c.id)).toMatchObject({ state: 'expired' });
    expect((await listVerifications(db, user))[0]).toMatchObject({ status: 'revoked' });

    const other = new CounterService({ db, keys: counterKeys('y'.repeat(40)), caseTtlDays: 30, lockMinutes: 15, validityDays: 1826, now: () => now });
    expect(await other.open(url, alice)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await service.open('ZZZZ-ZZZZ', alice)).toMatchObject({ ok: false, reason: 'not_found' });
    expect(await service.open('hello', alice)).toMatchObject({ ok: false, reason: 'unreadable' });
  });

  it('closes expired cases in the background sweep', async () => {
    const c = await newCase();
    now = new Date(c.expiresAt.getTime() + 1);
    expect(await service.expire()).toBeGreaterThanOrEqual(1);
    expect(await service.find(c.id)).toMatchObject({ state: 'expired', reason: 'expired' });
    expect((await audits(c.id)).map((a) => a.action)).toEqual(['counter.case.create', 'counter.case.expire']);
  });
});
