/**
 * What a register answer means for the person checked, whose identity is checked, how the number
 * is kept, and one whole check against a database (recorded, encrypted, audited, rate limited).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findOrCreateAccount } from '../../../src/accounts/repository.js';
import type { Db } from '../../../src/db/index.js';
import { createLogger } from '../../../src/logger.js';
import {
  accountsWithAhvNumber,
  AhvCheckService,
  AhvNumberCipher,
  confirmedAhvNumber,
  decideAhvCheck,
  fieldsToEnter,
  parseAhvn13,
  provenPerson,
  UpiError,
  type UpiLookup,
  type UpiRegister,
} from '../../../src/verification/ahv/index.js';
import { listVerifications, recordVerification, type StoredVerification } from '../../../src/verification/index.js';
import { migratedDb } from '../../helpers/db.js';

const ANNA = { givenNames: 'Anna', familyName: 'Muster', birthDate: '1985-03-14' };
const active = (person: Partial<NonNullable<Extract<UpiLookup, { state: 'active' }>['person']>> = {}): UpiLookup => ({
  state: 'active',
  person: { firstName: 'Anna Maria', officialName: 'Muster', sex: '2', dateOfBirth: '1985-03-14', ...person },
  notices: [],
  responseMessageId: 'm',
});

describe('AHV number validation on the page', () => {
  it.each([
    ['756.1234.5678.97', true],
    ['7561234567897', true],
    ['756 1234 5678 97', true],
    ['  756.1234.5678.97 ', true],
    ['756.1234.5678.98', 'check_digit'],
    ['7561234567891', 'check_digit'],
    ['755.1234.5678.97', 'prefix'],
    ['1234567890128', 'prefix'],
    ['756.1234.5678.9', 'format'],
    ['756-1234-5678-97', 'format'],
    ['756.12345678.97', 'format'],
    ['', 'format'],
  ])('%s → %s', (input, expected) => {
    const r = parseAhvn13(input);
    if (expected === true) expect(r).toEqual({ ok: true, compact: '7561234567897', dotted: '756.1234.5678.97' });
    else expect(r).toEqual({ ok: false, problem: expected });
  });
});

describe('deciding on the register answer', () => {
  it('confirms an active number of the same person, compared sensibly', () => {
    expect(decideAhvCheck(active(), ANNA)).toEqual({ outcome: 'confirmed' });
    expect(decideAhvCheck(active(), { givenNames: 'ANNA MARIA', familyName: 'muster', birthDate: '1985-03-14' }).outcome).toBe('confirmed');
    expect(decideAhvCheck(active({ firstName: 'Jürg Peter', officialName: 'Müller' }), { givenNames: 'Juerg', familyName: 'Mueller', birthDate: '1985-03-14' }).outcome).toBe('confirmed');
  });

  it('accepts the family name at birth and a date the register knows only in part', () => {
    expect(decideAhvCheck(active({ officialName: 'Rossi', originalName: 'Muster' }), ANNA).outcome).toBe('confirmed');
    expect(decideAhvCheck(active({ dateOfBirth: '1985' }), ANNA).outcome).toBe('confirmed');
    expect(decideAhvCheck(active({ dateOfBirth: '1985-03' }), ANNA).outcome).toBe('confirmed');
    expect(decideAhvCheck(active({ dateOfBirth: '1986' }), ANNA)).toEqual({ outcome: 'mismatch', mismatches: ['birthDate'] });
  });

  it('refuses other names, another birth date, a dead holder and inactive numbers', () => {
    expect(decideAhvCheck(active(), { ...ANNA, givenNames: 'Peter' })).toEqual({ outcome: 'mismatch', mismatches: ['givenNames'] });
    expect(decideAhvCheck(active(), { ...ANNA, familyName: 'Meier', birthDate: '1985-03-15' })).toEqual({ outcome: 'mismatch', mismatches: ['familyName', 'birthDate'] });
    expect(decideAhvCheck(active({ dateOfDeath: '2020-01-01' }), ANNA).outcome).toBe('deceased');
    expect(decideAhvCheck({ state: 'inactive', notices: [20], responseMessageId: 'm' }, ANNA).outcome).toBe('inactive');
    expect(decideAhvCheck({ state: 'cancelled', notices: [], responseMessageId: 'm' }, ANNA).outcome).toBe('cancelled');
    expect(decideAhvCheck({ state: 'not_found', noticeCode: 10, responseMessageId: 'm' }, ANNA).outcome).toBe('not_found');
    expect(decideAhvCheck({ state: 'active', person: undefined, notices: [], responseMessageId: 'm' }, ANNA).outcome).toBe('mismatch');
  });
});

describe('the number at rest', () => {
  const cipher = new AhvNumberCipher('a-key-encryption-key-of-at-least-32-characters');
  const account = '00000000-0000-4000-8000-000000000001';

  it('is encrypted, decrypts only for its account and key, and is found by its keyed hash', () => {
    const blob = cipher.encrypt('7561234567897', account);
    expect(blob).not.toContain('7561234567897');
    expect(blob).not.toBe(cipher.encrypt('7561234567897', account));
    expect(cipher.decrypt(blob, account)).toBe('7561234567897');
    expect(() => cipher.decrypt(blob, '00000000-0000-4000-8000-000000000002')).toThrow(/cannot be decrypted/);
    expect(() => new AhvNumberCipher('another-key-encryption-key-of-32-characters').decrypt(blob, account)).toThrow(/cannot be decrypted/);
    expect(cipher.lookupHash('7561234567897')).toBe(cipher.lookupHash('7561234567897'));
    expect(cipher.lookupHash('7561234567897')).not.toBe(new AhvNumberCipher('another-key-encryption-key-of-32-characters').lookupHash('7561234567897'));
  });
});

describe('whose identity is checked', () => {
  const base = { accountId: 'a', kind: 'auto' as const, status: 'approved' as const, providerReference: null, boundSerial: 'SERIAL', expiresAt: new Date(Date.now() + 86_400_000) };
  const v = (id: string, evidence: Record<string, unknown>, extra: Partial<StoredVerification> = {}): StoredVerification => ({
    ...base,
    id,
    method: 'srs-video',
    evidence,
    verifiedAt: new Date(Date.now() - 1000 * Number(id)),
    ...extra,
  });
  const at = { now: new Date(), serial: 'SERIAL' };

  it('is the most recent valid proven identity', () => {
    const proven = provenPerson([v('2', { given_name: 'Old', family_name: 'Name', birthdate: '1980-01-01' }), v('1', { given_name: 'Anna', family_name: 'Muster', birthdate: '1985-03-14' })], at);
    expect(proven).toEqual({ verificationId: '1', method: 'srs-video', known: ANNA });
    expect(fieldsToEnter(proven)).toEqual([]);
  });

  it('ignores AHV checks, expired, rejected and other-serial verifications, and asks for what is missing', () => {
    const list = [
      v('1', { given_name: 'X', family_name: 'Y', birthdate: '1990-01-01' }, { kind: 'ahv', method: 'ahv-upi' }),
      v('2', { given_name: 'X', family_name: 'Y', birthdate: '1990-01-01' }, { expiresAt: new Date(Date.now() - 1000) }),
      v('3', { given_name: 'X', family_name: 'Y', birthdate: '1990-01-01' }, { status: 'rejected' }),
      v('4', { given_name: 'X', family_name: 'Y', birthdate: '1990-01-01' }, { boundSerial: 'OTHER' }),
      v('5', { given_name: 'Anna', family_name: 'Muster' }),
    ];
    const proven = provenPerson(list, at);
    expect(proven?.verificationId).toBe('5');
    expect(fieldsToEnter(proven)).toEqual(['birthDate']);
    expect(fieldsToEnter(provenPerson(list.slice(0, 4), at))).toEqual(['givenNames', 'familyName', 'birthDate']);
  });
});

describe('one check', () => {
  let db: Db;
  let cleanup: () => Promise<void>;
  const cipher = new AhvNumberCipher('a-key-encryption-key-of-at-least-32-characters');
  const log = createLogger('silent');

  beforeAll(async () => {
    ({ db, cleanup } = await migratedDb());
  });
  afterAll(async () => cleanup());

  function register(answer: UpiLookup | UpiError): UpiRegister & { calls: number } {
    const r = {
      calls: 0,
      async getInfoPerson() {
        r.calls += 1;
        if (answer instanceof UpiError) throw answer;
        return answer;
      },
      async close() {},
    };
    return r;
  }
  const service = (r: UpiRegister, max = 5) => new AhvCheckService({ db, register: r, cipher, validityDays: 30, rateLimit: { max, windowSeconds: 3600 }, log });

  it('records a confirmed check bound to the serial, keeps the number encrypted, and releases it while it counts', async () => {
    const { account } = await findOrCreateAccount(db, '41790000001', 'SERIAL-1');
    const proof = await recordVerification(db, {
      accountId: account.id, method: 'srs-video', kind: 'auto', status: 'approved', evidence: { given_name: 'Anna', family_name: 'Muster', birthdate: '1985-03-14' },
      boundSerial: 'SERIAL-1', verifiedAt: new Date(), expiresAt: new Date(Date.now() + 86_400_000),
    });
    const proven = provenPerson(await listVerifications(db, account.id), { now: new Date(), serial: 'SERIAL-1' });
    const r = await service(register(active())).check({ accountId: account.id, serial: 'SERIAL-1', locale: 'en', compactNumber: '7561234567897', person: ANNA, proven, entered: [] });
    expect(r.outcome).toBe('confirmed');

    const ahv = (await listVerifications(db, account.id)).find((x) => x.method === 'ahv-upi')!;
    expect(ahv).toMatchObject({ kind: 'ahv', status: 'approved', boundSerial: 'SERIAL-1', providerReference: 'm' });
    expect(ahv.expiresAt.getTime() - ahv.verifiedAt.getTime()).toBe(30 * 86_400_000);
    expect(ahv.evidence).toMatchObject({ identity_source: 'verification', source_verification: proof.id, source_method: 'srs-video', entered_fields: [], ahv_number_masked: '756.****.****.97' });
    expect(JSON.stringify(ahv.evidence)).not.toContain('7561234567897');
    const row = (await db('ahv_checks').where({ verification_id: ahv.id }).first()) as { vn_encrypted: string; vn_masked: string };
    expect(row.vn_encrypted).not.toContain('7561234567897');
    expect(row.vn_masked).toBe('756.****.****.97');

    const ids = [ahv.id];
    expect(await confirmedAhvNumber(db, cipher, account.id, { now: new Date(), serial: 'serial-1', verificationIds: ids })).toBe('7561234567897');
    expect(await confirmedAhvNumber(db, cipher, account.id, { now: new Date(), serial: 'serial-1', verificationIds: [proof.id] })).toBeUndefined();
    expect(await confirmedAhvNumber(db, cipher, account.id, { now: new Date(), serial: 'OTHER', verificationIds: ids })).toBeUndefined();
    expect(await confirmedAhvNumber(db, cipher, account.id, { now: new Date(Date.now() + 31 * 86_400_000), serial: 'SERIAL-1', verificationIds: ids })).toBeUndefined();
    expect(await accountsWithAhvNumber(db, cipher, '7561234567897')).toEqual([account.id]);
    const trail = (await db('audit_events').where({ subject: `account:${account.id}` }).select('action', 'detail')) as { action: string; detail: unknown }[];
    expect(trail.map((e) => e.action)).toContain('verification.ahv.confirmed');
    expect(JSON.stringify(trail)).not.toContain('7561234567897');
  });

  it('records a refused check without the number, and says where the identity came from', async () => {
    const { account } = await findOrCreateAccount(db, '41790000002', 'SERIAL-2');
    const r = await service(register(active())).check({ accountId: account.id, serial: 'SERIAL-2', locale: 'de', compactNumber: '7561234567897', person: { ...ANNA, familyName: 'Meier' }, proven: undefined, entered: ['givenNames', 'familyName', 'birthDate'] });
    expect(r).toMatchObject({ outcome: 'mismatch', mismatches: ['familyName'] });
    const [ahv] = await listVerifications(db, account.id);
    expect(ahv).toMatchObject({ status: 'rejected', evidence: { outcome: 'mismatch', identity_source: 'entered' } });
    expect(await db('ahv_checks').where({ account_id: account.id }).first()).toBeUndefined();
  });

  it('records nothing when the register fails, and audits the failure', async () => {
    const { account } = await findOrCreateAccount(db, '41790000003', 'SERIAL-3');
    const failure = new UpiError('timeout', 'no answer', { status: 504 });
    await expect(service(register(failure)).check({ accountId: account.id, serial: 'SERIAL-3', locale: 'en', compactNumber: '7561234567897', person: ANNA, proven: undefined, entered: ['givenNames', 'familyName', 'birthDate'] })).rejects.toBe(failure);
    expect(await listVerifications(db, account.id)).toEqual([]);
    const trail = (await db('audit_events').where({ subject: `account:${account.id}` }).select('action', 'detail')) as { action: string; detail: unknown }[];
    expect(trail).toEqual([{ action: 'verification.ahv.failed', detail: expect.objectContaining({ code: 'timeout', number: '756.****.****.97' }) }]);
  });

  it('stops an account after too many checks, before asking the register', async () => {
    const { account } = await findOrCreateAccount(db, '41790000004', 'SERIAL-4');
    const r = register({ state: 'not_found', noticeCode: 10, responseMessageId: 'm' });
    const input = { accountId: account.id, serial: 'SERIAL-4', locale: 'en', compactNumber: '7562222222224', person: ANNA, proven: undefined, entered: ['givenNames', 'familyName', 'birthDate'] as const };
    for (let i = 0; i < 2; i += 1) expect((await service(r, 2).check({ ...input, entered: [...input.entered] })).outcome).toBe('not_found');
    await expect(service(r, 2).check({ ...input, entered: [...input.entered] })).rejects.toMatchObject({ code: 'ahv_rate_limited', status: 429 });
    expect(r.calls).toBe(2);
  });
});
