/**
 * What a register answer means for the person checked, whose identity is checked, how the number
 * is kept, and one whole check against a database (recorded, encrypted, audited, rate limited).
 */
import { Writable } from 'node:stream';

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
  processGetInfoPersonResponse,
  provenPerson,
  UpiError,
  type PersonField,
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
    expect(decideAhvCheck(active(), ANNA)).toEqual({ outcome: 'confirmed', registered: { givenNames: 'Anna Maria', familyName: 'Muster', birthDate: '1985-03-14' } });
    expect(decideAhvCheck(active(), { givenNames: 'ANNA MARIA', familyName: 'muster', birthDate: '1985-03-14' }).outcome).toBe('confirmed');
    expect(decideAhvCheck(active({ firstName: 'Jürg Peter', officialName: 'Müller' }), { givenNames: 'Juerg', familyName: 'Mueller', birthDate: '1985-03-14' }).outcome).toBe('confirmed');
  });

  it('accepts the family name at birth and a date the register knows only in part', () => {
    expect(decideAhvCheck(active({ officialName: 'Rossi', originalName: 'Muster' }), ANNA)).toMatchObject({ outcome: 'confirmed', registered: { familyName: 'Muster' } });
    expect(decideAhvCheck(active({ officialName: 'Rossi', originalName: 'Muster' }), { ...ANNA, familyName: 'Rossi' })).toMatchObject({ outcome: 'confirmed', registered: { familyName: 'Rossi' } });
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

  it('compares the identity before anything else about the holder: another person\'s number is only a mismatch', () => {
    // That the holder has died is decided only for the holder's own identity.
    expect(decideAhvCheck(active({ dateOfDeath: '2020-01-01' }), { ...ANNA, givenNames: 'Peter' })).toEqual({ outcome: 'mismatch', mismatches: ['givenNames'] });
    expect(decideAhvCheck(active({ dateOfDeath: '2020-01-01' }), { ...ANNA, birthDate: '1990-01-01' })).toEqual({ outcome: 'mismatch', mismatches: ['birthDate'] });
    expect(decideAhvCheck(active({ dateOfDeath: '2020-01-01' }), ANNA)).toEqual({ outcome: 'deceased' });
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

describe('one check: what the user is told, the rate limit under load, the evidence, the logs', () => {
  let db: Db;
  let cleanup: () => Promise<void>;
  const cipher = new AhvNumberCipher('a-key-encryption-key-of-at-least-32-characters');

  beforeAll(async () => {
    ({ db, cleanup } = await migratedDb());
  });
  afterAll(async () => cleanup());

  const ENTERED = ['givenNames', 'familyName', 'birthDate'] as PersonField[];

  function slowRegister(answer: () => UpiLookup | Promise<UpiLookup>, delayMs = 50): UpiRegister & { calls: number } {
    const r = {
      calls: 0,
      async getInfoPerson() {
        r.calls += 1;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        return answer();
      },
      async close() {},
    };
    return r;
  }

  it('lets exactly one of many parallel checks through to the register with a limit of 1', async () => {
    const { account } = await findOrCreateAccount(db, '41790000101', 'SERIAL-101');
    const r = slowRegister(() => ({ state: 'not_found', noticeCode: 10, responseMessageId: 'm' }));
    const service = new AhvCheckService({ db, register: r, cipher, validityDays: 30, rateLimit: { max: 1, windowSeconds: 3600 }, log: createLogger('silent') });
    const input = { accountId: account.id, serial: 'SERIAL-101', locale: 'en', compactNumber: '7562222222224', person: ANNA, proven: undefined };
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => service.check({ ...input, entered: [...ENTERED] })));
    expect(r.calls).toBe(1);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
    expect(refused).toHaveLength(7);
    for (const x of refused) expect(x.reason).toMatchObject({ code: 'ahv_rate_limited', status: 429 });
    const rows = await listVerifications(db, account.id);
    expect(rows.map((v) => [v.status, v.evidence.outcome])).toEqual([['rejected', 'not_found']]);
  });

  it('frees the place of a check the register did not answer, and still counts one in progress', async () => {
    const { account } = await findOrCreateAccount(db, '41790000102', 'SERIAL-102');
    let fail = true;
    // The second lookup waits at the register until the test lets it answer, so that "in progress" is certain.
    let release!: () => void;
    const answered = new Promise<void>((resolve) => { release = resolve; });
    let reached!: () => void;
    const atRegister = new Promise<void>((resolve) => { reached = resolve; });
    const r = slowRegister(async () => {
      if (fail) throw new UpiError('timeout', 'no answer', { status: 504 });
      reached();
      await answered;
      return active();
    }, 0);
    const service = new AhvCheckService({ db, register: r, cipher, validityDays: 30, rateLimit: { max: 1, windowSeconds: 3600 }, log: createLogger('silent') });
    const input = { accountId: account.id, serial: 'SERIAL-102', locale: 'en', compactNumber: '7561234567897', person: ANNA, proven: undefined };
    await expect(service.check({ ...input, entered: [...ENTERED] })).rejects.toMatchObject({ code: 'timeout' });
    expect(await listVerifications(db, account.id)).toEqual([]);
    fail = false;
    const first = service.check({ ...input, entered: [...ENTERED] });
    await atRegister;
    expect((await listVerifications(db, account.id)).map((v) => v.status)).toEqual(['pending']);
    await expect(service.check({ ...input, entered: [...ENTERED] })).rejects.toMatchObject({ code: 'ahv_rate_limited' });
    release();
    expect((await first).outcome).toBe('confirmed');
    expect(r.calls).toBe(2);
  });

  it('records the register\'s names and date of birth as the identity checked, and what was asked only as the source', async () => {
    const { account } = await findOrCreateAccount(db, '41790000103', 'SERIAL-103');
    const person = { firstName: 'Jürg Peter', officialName: 'Müller', sex: '1', dateOfBirth: '1970-07-01' };
    const service = new AhvCheckService({ db, register: slowRegister(() => active(person), 0), cipher, validityDays: 30, rateLimit: { max: 5, windowSeconds: 3600 }, log: createLogger('silent') });
    const typed = { givenNames: 'Juerg', familyName: 'Mueller', birthDate: '1970-07-01' };
    expect((await service.check({ accountId: account.id, serial: 'SERIAL-103', locale: 'de', compactNumber: '7569217076985', person: typed, proven: undefined, entered: [...ENTERED] })).outcome).toBe('confirmed');
    const [ahv] = await listVerifications(db, account.id);
    expect(ahv!.evidence).toMatchObject({
      outcome: 'confirmed',
      identity_source: 'entered',
      checked: { given_names: 'Jürg Peter', family_name: 'Müller', birthdate: '1970-07-01' },
      source_identity: { given_names: 'Juerg', family_name: 'Mueller', birthdate: '1970-07-01' },
    });
    expect(ahv!.identity).toEqual({ givenNames: 'Jürg Peter', familyName: 'Müller', birthDate: '1970-07-01' });

    // A date the register knows only in part: the full date that matched it, with the register's part.
    const { account: other } = await findOrCreateAccount(db, '41790000104', 'SERIAL-104');
    const partial = new AhvCheckService({ db, register: slowRegister(() => active({ ...person, dateOfBirth: '1970' }), 0), cipher, validityDays: 30, rateLimit: { max: 5, windowSeconds: 3600 }, log: createLogger('silent') });
    await partial.check({ accountId: other.id, serial: 'SERIAL-104', locale: 'de', compactNumber: '7569217076985', person: typed, proven: undefined, entered: [...ENTERED] });
    const [p] = await listVerifications(db, other.id);
    expect(p!.evidence.checked).toEqual({ given_names: 'Jürg Peter', family_name: 'Müller', birthdate: '1970-07-01', birthdate_registered: '1970' });
    expect(p!.identity).toEqual({ givenNames: 'Jürg Peter', familyName: 'Müller', birthDate: '1970-07-01' });
  });

  it('keeps nothing of the register\'s data about the holder of a number that is not confirmed', async () => {
    const { account } = await findOrCreateAccount(db, '41790000105', 'SERIAL-105');
    const dead = active({ firstName: 'Otto', officialName: 'Beispiel', dateOfBirth: '1931-02-02', dateOfDeath: '2020-11-30' });
    const service = new AhvCheckService({ db, register: slowRegister(() => dead, 0), cipher, validityDays: 30, rateLimit: { max: 5, windowSeconds: 3600 }, log: createLogger('silent') });
    const r = await service.check({ accountId: account.id, serial: 'SERIAL-105', locale: 'de', compactNumber: '7564444444446', person: ANNA, proven: undefined, entered: [...ENTERED] });
    expect(r.outcome).toBe('mismatch');
    const [ahv] = await listVerifications(db, account.id);
    expect(ahv!.evidence.outcome).toBe('mismatch');
    expect(ahv!.evidence.checked).toBeUndefined();
    expect(ahv!.identity).toBeUndefined();
    expect(JSON.stringify(ahv!.evidence)).not.toMatch(/Otto|Beispiel|(?<![\w-])1931(?!\w)|2020-11-30/);
  });

  it('logs codes only: a SOAP fault or a refusal whose text repeats the number or the name does not reach the logs', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger('debug', sink);
    const NS_SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
    const fault = `<s:Envelope xmlns:s="${NS_SOAP}"><s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>Fehler bei VN 756-9217-0769-85 / 7569217076985 (Müller Jürg)</faultstring></s:Fault></s:Body></s:Envelope>`;
    const negative =
      `<s:Envelope xmlns:s="${NS_SOAP}"><s:Body><r:response xmlns:r="http://www.ech.ch/xmlns/eCH-0214/2" xmlns:h="http://www.ech.ch/xmlns/eCH-0058/5" xmlns:c="http://www.ech.ch/xmlns/eCH-0213-commons/1">` +
      `<r:header><h:messageId>x</h:messageId></r:header><r:negativeReport><c:notice><c:code>900</c:code><c:codeDescription>VN 756-9217-0769-85 Müller Jürg</c:codeDescription></c:notice></r:negativeReport></r:response></s:Body></s:Envelope>`;
    for (const [i, body] of [fault, negative].entries()) {
      const { account } = await findOrCreateAccount(db, `4179000011${i}`, `SERIAL-11${i}`);
      const register: UpiRegister = {
        async getInfoPerson(vn) {
          return processGetInfoPersonResponse(i === 0 ? 500 : 200, body, { messageId: 'x', vn });
        },
        async close() {},
      };
      const service = new AhvCheckService({ db, register, cipher, validityDays: 30, rateLimit: { max: 5, windowSeconds: 3600 }, log });
      const failure = await service
        .check({ accountId: account.id, serial: `SERIAL-11${i}`, locale: 'de', compactNumber: '7569217076985', person: ANNA, proven: undefined, entered: [...ENTERED] })
        .then(
          () => undefined,
          (e: unknown) => e as UpiError,
        );
      expect(failure).toBeInstanceOf(UpiError);
      expect(failure!.detail).not.toMatch(/9217|Müller|Jürg/);
      const trail = (await db('audit_events').where({ subject: `account:${account.id}` }).select('detail')) as { detail: unknown }[];
      expect(JSON.stringify(trail)).not.toMatch(/9217|Müller|Jürg/);
    }
    const output = lines.join('');
    expect(output).toContain('ahv register check failed');
    expect(output).toContain('"providerCode":"s:Server"');
    expect(output).toContain('"providerCode":"900"');
    expect(output).not.toMatch(/9217|0769|Müller|Jürg|Fehler/);
  });
});
