/**
 * One Freja eID verification against the database, with Freja played by a scripted API and
 * results signed by a certificate made for the test: statuses, the identity check, replay,
 * stale results, outages, and polling at most once per interval.
 */
import crypto from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { Db } from '../../../src/db/index.js';
import type { FrejaSandboxPki } from '../../../src/simulators/freja/index.js';
import { listVerifications } from '../../../src/verification/index.js';
import { FrejaError, FrejaVerifications, parseFrejaPolicy, type AuthResultEnvelope, type FrejaApi, type FrejaStatus } from '../../../src/verification/freja/index.js';
import { unavailable } from '../../../src/verification/freja/errors.js';
import { migratedDb } from '../../helpers/db.js';
import { freshPki, signAs, trustOf } from './freja-helpers.js';

const POLICY = parseFrejaPolicy({ acceptedRegistrationLevels: ['EXTENDED', 'PLUS'], attributesToReturn: ['BASIC_USER_INFO', 'DATE_OF_BIRTH', 'SSN'] });
const CLAIM = { givenNames: 'Anna', familyName: 'Muster', birthDate: '1985-04-12' };
const SERIAL = 'MIDCHE0000000001';

let db: Db;
let cleanup: () => Promise<void>;
let pki: FrejaSandboxPki;
let now: Date;
const logs: { obj: object; msg: string }[] = [];
const log = { info: (obj: object, msg: string) => logs.push({ obj, msg }), warn: (obj: object, msg: string) => logs.push({ obj, msg }) };

/** Freja, scripted: each getOneResult answers the next queued value (or throws it). */
class ScriptedFreja implements FrejaApi {
  readonly calls: string[] = [];
  results: (AuthResultEnvelope | FrejaError | ((authRef: string) => Promise<AuthResultEnvelope>))[] = [];
  initError: FrejaError | undefined;
  lastAuthRef = '';

  async initAuthentication(): Promise<{ authRef: string }> {
    this.calls.push('init');
    if (this.initError) throw this.initError;
    this.lastAuthRef = crypto.randomBytes(24).toString('base64url');
    return { authRef: this.lastAuthRef };
  }
  async getOneResult(authRef: string): Promise<AuthResultEnvelope> {
    this.calls.push('getOneResult');
    const next = this.results.shift() ?? { authRef, status: 'STARTED' as FrejaStatus, details: undefined };
    if (next instanceof FrejaError) throw next;
    return typeof next === 'function' ? next(authRef) : next;
  }
  async cancel(): Promise<void> {
    this.calls.push('cancel');
  }
  async close(): Promise<void> {}
}

async function account(): Promise<string> {
  const id = crypto.randomUUID();
  await db('accounts').insert({ id, msisdn: `+4179${crypto.randomInt(1e7, 1e8 - 1)}` });
  return id;
}

function approved(payload: Record<string, unknown> = {}, attributes: Record<string, unknown> = {}) {
  return async (authRef: string): Promise<AuthResultEnvelope> => ({
    authRef,
    status: 'APPROVED',
    details: await signAs(pki, {
      status: 'APPROVED',
      userInfoType: 'INFERRED',
      userInfo: 'N/A',
      timestamp: now.getTime() - 1000,
      minRegistrationLevel: 'EXTENDED',
      requestedAttributes: { basicUserInfo: { name: 'Anna Maria', surname: 'Muster' }, dateOfBirth: '1985-04-12', registrationLevel: 'PLUS', ssn: { ssn: '198504121234', country: 'SE' }, ...attributes },
      authRef,
      ...payload,
    }),
  });
}

function service(api: FrejaApi, pollIntervalMs = 1000) {
  return new FrejaVerifications(
    db,
    api,
    { policy: POLICY, trust: trustOf(pki), pollIntervalMs, kind: 'auto', expiresAt: (at) => new Date(at.getTime() + 86_400_000) },
    log,
    () => now,
  );
}

const later = (ms: number) => {
  now = new Date(now.getTime() + ms);
};

async function started(api = new ScriptedFreja()) {
  const accountId = await account();
  const s = service(api);
  const view = await s.start({ accountId, interactionUid: `uid-${crypto.randomUUID()}`, loginId: crypto.randomUUID(), serial: SERIAL, claimed: CLAIM });
  return { accountId, s, api, view };
}

beforeAll(async () => {
  ({ db, cleanup } = await migratedDb());
  pki = await freshPki();
});
afterAll(async () => cleanup());
beforeEach(() => {
  now = new Date();
  logs.length = 0;
});

describe('a Freja eID verification', () => {
  it('starts as STARTED, follows DELIVERED_TO_MOBILE, and records an approved, matching identity', async () => {
    const { accountId, s, api, view } = await started();
    expect(view).toMatchObject({ state: 'pending', frejaStatus: 'STARTED', statusKey: 'verification.freja.status.started' });
    later(1000);
    api.results.push({ authRef: api.lastAuthRef, status: 'DELIVERED_TO_MOBILE', details: undefined });
    expect(await s.check(view.id)).toMatchObject({ state: 'pending', frejaStatus: 'DELIVERED_TO_MOBILE', statusKey: 'verification.freja.status.delivered' });
    later(1000);
    api.results.push(approved());
    const done = await s.check(view.id);
    expect(done).toMatchObject({ state: 'verified', outcome: { code: 'verified', messageKey: 'verification.freja.verified', kind: 'info' } });
    const [v] = await listVerifications(db, accountId);
    expect(v).toMatchObject({ method: 'freja-eid', kind: 'auto', status: 'approved', boundSerial: SERIAL, providerReference: api.lastAuthRef });
    expect(v!.evidence).toMatchObject({
      given_name: 'Anna Maria',
      family_name: 'Muster',
      birthdate: '1985-04-12',
      evidence_type: 'electronic_record',
      registration_level: 'PLUS',
      ssn: { country: 'SE', number: '198504121234' },
    });
    // Once the request has ended, the claimed identity is not kept beside the verification.
    expect((await db('freja_requests').where({ id: view.id }).first()).claimed_identity).toEqual({});
    // Logs carry references and codes, never who the person is.
    const logged = JSON.stringify(logs);
    for (const secret of ['Muster', 'Anna', '1985-04-12', '198504121234']) expect(logged).not.toContain(secret);
  });

  it.each([
    ['CANCELED', 'failed', 'verification.freja.status.canceled', 'error'],
    ['REJECTED', 'failed', 'verification.freja.status.rejected', 'error'],
    ['EXPIRED', 'failed', 'verification.freja.status.expired', 'error'],
    ['RP_CANCELED', 'cancelled', 'verification.freja.status.rp_canceled', 'info'],
  ] as const)('ends on %s with its message', async (status, state, messageKey, kind) => {
    const { s, api, view } = await started();
    later(1000);
    api.results.push({ authRef: api.lastAuthRef, status, details: undefined });
    expect(await s.check(view.id)).toMatchObject({ state, frejaStatus: status, outcome: { code: status.toLowerCase(), messageKey, kind } });
  });

  it('fails on a name or date of birth that does not match the claim, recording nothing', async () => {
    const { accountId, s, api, view } = await started();
    later(1000);
    api.results.push(approved({}, { basicUserInfo: { name: 'Anna', surname: 'Meier' } }));
    expect((await s.check(view.id)).outcome).toMatchObject({ code: 'identity_mismatch', messageKey: 'verification.freja.mismatch' });
    const other = await started();
    later(1000);
    other.api.results.push(approved({}, { dateOfBirth: '1985-04-13' }));
    expect((await other.s.check(other.view.id)).outcome).toMatchObject({ code: 'identity_mismatch', messageKey: 'verification.freja.mismatch_birthdate' });
    expect(await listVerifications(db, accountId)).toHaveLength(0);
  });

  it('does not count BASIC, and needs the names and the date of birth', async () => {
    const basic = await started();
    later(1000);
    basic.api.results.push(approved({}, { registrationLevel: 'BASIC' }));
    expect((await basic.s.check(basic.view.id)).outcome).toMatchObject({ code: 'level_too_low', messageKey: 'verification.freja.level_too_low' });
    const partial = await started();
    later(1000);
    partial.api.results.push(approved({}, { dateOfBirth: undefined }));
    expect((await partial.s.check(partial.view.id)).outcome).toMatchObject({ code: 'incomplete', messageKey: 'verification.freja.incomplete' });
  });

  it('refuses a replayed result: another request’s JWS, and the same JWS twice', async () => {
    const first = await started();
    later(1000);
    const envelope = await approved()(first.api.lastAuthRef);
    first.api.results.push(envelope);
    expect((await first.s.check(first.view.id)).state).toBe('verified');

    const second = await started();
    later(1000);
    second.api.results.push({ ...envelope, authRef: second.api.lastAuthRef });
    const refused = await second.s.check(second.view.id);
    expect(refused).toMatchObject({ state: 'failed', outcome: { code: 'result_mismatch', messageKey: 'verification.freja.invalid_result' } });

    // The digest of every used result is remembered: the same JWS is never accepted again.
    await db('freja_seen_results').del();
    const third = await started();
    later(1000);
    const fresh = await approved()(third.api.lastAuthRef);
    await db('freja_seen_results').insert({ digest: crypto.createHash('sha256').update(fresh.details!).digest('hex'), auth_ref: third.api.lastAuthRef, seen_at: now });
    third.api.results.push(fresh);
    expect((await third.s.check(third.view.id)).outcome).toMatchObject({ code: 'replayed', messageKey: 'verification.freja.invalid_result' });
  });

  it('refuses a stale result (approved long before it is read) and a tampered one', async () => {
    const stale = await started();
    later(1000);
    stale.api.results.push(approved({ timestamp: now.getTime() - 10 * 60_000 }));
    expect((await stale.s.check(stale.view.id)).outcome).toMatchObject({ code: 'result_mismatch' });
    const tampered = await started();
    later(1000);
    const ok = await approved()(tampered.api.lastAuthRef);
    const [h, , sig] = ok.details!.split('.');
    const forged = Buffer.from(JSON.stringify({ status: 'APPROVED', authRef: tampered.api.lastAuthRef })).toString('base64url');
    tampered.api.results.push({ ...ok, details: `${h}.${forged}.${sig}` });
    expect((await tampered.s.check(tampered.view.id)).outcome).toMatchObject({ code: 'jws_invalid', messageKey: 'verification.freja.invalid_result' });
  });

  it('keeps waiting through an outage, and ends with the outage reason when time is up', async () => {
    const { s, api, view } = await started();
    later(1000);
    api.results.push(unavailable('getOneResult: network error (ECONNREFUSED)'));
    expect(await s.check(view.id)).toMatchObject({ state: 'pending', problemKey: 'verification.freja.unavailable' });
    later(1000);
    api.results.push({ authRef: api.lastAuthRef, status: 'DELIVERED_TO_MOBILE', details: undefined });
    expect(await s.check(view.id)).toMatchObject({ state: 'pending', problemKey: undefined });
    later(1000);
    api.results.push(unavailable('getOneResult: timeout'));
    await s.check(view.id);
    later(200_000);
    expect(await s.check(view.id)).toMatchObject({ state: 'failed', outcome: { code: 'unavailable', messageKey: 'verification.freja.unavailable' } });
  });

  it('ends a silent request as expired after Freja’s two minutes', async () => {
    const { s, view } = await started();
    later(200_000);
    expect((await s.check(view.id)).outcome).toMatchObject({ code: 'expired', messageKey: 'verification.freja.status.expired' });
  });

  it('ends on an API error while polling (1100: the reference is gone)', async () => {
    const { s, api, view } = await started();
    later(1000);
    api.results.push(new FrejaError({ code: 'api_error', status: 422, messageKey: 'verification.freja.error.reference', providerCode: 1100 }));
    expect((await s.check(view.id)).outcome).toMatchObject({ code: 'api_error', providerCode: 1100, messageKey: 'verification.freja.error.reference' });
  });

  it('asks Freja at most once per poll interval, however many checks arrive', async () => {
    const { s, api, view } = await started();
    await Promise.all(Array.from({ length: 10 }, () => s.check(view.id)));
    expect(api.calls.filter((c) => c === 'getOneResult')).toHaveLength(0);
    later(1000);
    await Promise.all(Array.from({ length: 10 }, () => s.check(view.id)));
    expect(api.calls.filter((c) => c === 'getOneResult')).toHaveLength(1);
  });

  it('cancels at Freja when the person gives up, and when a new request of the same login starts', async () => {
    const { s, api, view, accountId } = await started();
    const cancelled = await s.cancel(view.id);
    expect(cancelled).toMatchObject({ state: 'cancelled', frejaStatus: 'RP_CANCELED', outcome: { kind: 'info' } });
    expect(api.calls).toContain('cancel');
    const again = await s.start({ accountId, interactionUid: 'uid-same', loginId: 'l', serial: SERIAL, claimed: CLAIM });
    await s.start({ accountId, interactionUid: 'uid-same', loginId: 'l', serial: SERIAL, claimed: CLAIM });
    expect((await s.get(again.id)).state).toBe('cancelled');
  });

  it('limits the number of attempts per account', async () => {
    const accountId = await account();
    const s = service(new ScriptedFreja());
    for (let i = 0; i < POLICY.rateLimit.max; i += 1) await s.start({ accountId, interactionUid: `u${i}`, loginId: 'l', serial: SERIAL, claimed: CLAIM });
    await expect(s.start({ accountId, interactionUid: 'u-last', loginId: 'l', serial: SERIAL, claimed: CLAIM })).rejects.toMatchObject({ code: 'rate_limited', status: 429, messageKey: 'verification.freja.rate_limited' });
  });

  it('stores nothing when Freja refuses to start', async () => {
    const api = new ScriptedFreja();
    api.initError = unavailable('init: network error (ECONNREFUSED)');
    const accountId = await account();
    await expect(service(api).start({ accountId, interactionUid: 'u', loginId: 'l', serial: SERIAL, claimed: CLAIM })).rejects.toMatchObject({ code: 'unavailable' });
    expect(await db('freja_requests').where({ account_id: accountId })).toHaveLength(0);
  });
});
