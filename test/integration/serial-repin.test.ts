/**
 * Moving a Mobile ID serial pin after a re-activation, against the database: an administrator's
 * re-pin (to the serial of the last login, also of one the `reject` policy refused, or to a serial
 * typed in), and the re-pin that a new identity verification in a downgraded login makes; which
 * verifications count again afterwards, and the audit events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findAccountById, findOrCreateAccount, recordLoginWrite, type Account } from '../../src/accounts/index.js';
import { findUser, findUserByPhone, repinSerial } from '../../src/admin/users.js';
import { audit } from '../../src/audit/index.js';
import type { Db } from '../../src/db/index.js';
import { runWrites } from '../../src/db/statements.js';
import { validVerifications } from '../../src/qor/index.js';
import { listVerifications, recordVerification, updateVerificationStatus, type NewVerification } from '../../src/verification/index.js';
import { migratedDb } from '../helpers/db.js';

let db: Db;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ db, cleanup } = await migratedDb()));
afterAll(async () => cleanup());

const OLD = 'MIDCHEAAAA000001';
const NEW = 'MIDCHEBBBB000002';
const ANNA = { given_name: 'Anna Maria', family_name: 'Muster', birthdate: '1985-03-14' };
const OTTO = { given_name: 'Otto', family_name: 'Beispiel', birthdate: '1970-01-01' };
let numbers = 0;

async function pinnedAccount(roles: string[] = []): Promise<Account> {
  numbers += 1;
  const msisdn = `4179555${String(numbers).padStart(4, '0')}`;
  const { account } = await findOrCreateAccount(db, msisdn, OLD);
  if (roles.length) await db('accounts').where({ id: account.id }).update({ roles: JSON.stringify(roles) });
  return (await findAccountById(db, account.id))!;
}

/** What the login step records for a login whose serial differed from the pinned one. */
async function mismatchedLogin(account: Account, serial: string, policy: 'downgrade' | 'reject' = 'downgrade'): Promise<void> {
  await audit(db, {
    actor: `account:${account.id}`,
    action: 'mobileid.serial_mismatch',
    subject: `account:${account.id}`,
    before: { serial: account.mobileidSerial },
    after: { serial },
    detail: { policy, msisdn: '+417******01' },
  });
  if (policy === 'downgrade') {
    await runWrites(db, [recordLoginWrite(db, account.id, { method: 'sim', serial, serialMismatch: true, amr: ['hwk', 'pin', 'mfa'], at: new Date().toISOString() })]);
  }
}

function verification(account: Account, serial: string, over: Partial<NewVerification> = {}): NewVerification {
  return {
    accountId: account.id,
    method: 'freja-eid',
    kind: 'auto',
    status: 'approved',
    evidence: ANNA,
    boundSerial: serial,
    verifiedAt: new Date(),
    expiresAt: new Date(Date.now() + 86_400_000),
    ...over,
  };
}

const serialOf = async (account: Account) => (await findAccountById(db, account.id))!.mobileidSerial;
const events = (account: Account, action = 'account.serial_repinned') => db('audit_events').where({ subject: `account:${account.id}`, action }).orderBy('id');
const counting = async (account: Account, serial: string) =>
  validVerifications(await listVerifications(db, account.id), { now: new Date(), serial }).map((v) => v.method).sort();

describe('the user verifies again after a re-activation (downgrade)', () => {
  it('pins the serial of the downgraded login; earlier verifications of the same person count again, others do not', async () => {
    const account = await pinnedAccount();
    await recordVerification(db, verification(account, OLD, { method: 'srs-video' }));
    await recordVerification(db, verification(account, OLD, { method: 'ahv-upi', kind: 'ahv', evidence: { checked: { given_names: 'Anna Maria', family_name: 'Muster', birthdate: '1985-03-14' } } }));
    await recordVerification(db, verification(account, OLD, { method: 'manual-counter', kind: 'manual', evidence: OTTO }));
    await mismatchedLogin(account, NEW);
    expect(await counting(account, NEW)).toEqual([]);
    expect((await findUser(db, account.id))?.serial_mismatch).toBe(true);

    await recordVerification(db, verification(account, NEW, { evidence: { ...ANNA, given_name: 'Anna' } }));

    expect(await serialOf(account)).toBe(NEW);
    expect(await counting(account, NEW)).toEqual(['ahv-upi', 'freja-eid', 'srs-video']);
    const [event, ...more] = await events(account);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ actor: `account:${account.id}`, before: { serial: OLD }, after: { serial: NEW }, detail: { reason: 'verified_again', method: 'freja-eid', verificationsRebound: 2 } });
    expect((await findUser(db, account.id))?.serial_mismatch).toBe(false);
  });

  it('pins it when a counter case of that login is approved later', async () => {
    const account = await pinnedAccount();
    await mismatchedLogin(account, NEW);
    const pending = await recordVerification(db, verification(account, NEW, { method: 'manual-counter', kind: 'manual', status: 'pending', evidence: {} }));
    expect(await serialOf(account)).toBe(OLD);
    await updateVerificationStatus(db, pending.id, 'pending', { status: 'approved', evidence: OTTO, verifiedAt: new Date(), expiresAt: new Date(Date.now() + 86_400_000) });
    expect(await serialOf(account)).toBe(NEW);
    expect((await events(account))[0]).toMatchObject({ detail: { reason: 'verified_again', method: 'manual-counter', verificationsRebound: 0 } });
  });

  it('does not re-pin for an AHV check, a rejected verification, a serial the last login did not present, or an account with a role', async () => {
    const account = await pinnedAccount();
    await mismatchedLogin(account, NEW);
    await recordVerification(db, verification(account, NEW, { method: 'ahv-upi', kind: 'ahv' }));
    await recordVerification(db, verification(account, NEW, { status: 'rejected' }));
    await recordVerification(db, verification(account, 'MIDCHECCCC000003'));
    expect(await serialOf(account)).toBe(OLD);

    const admin = await pinnedAccount(['admin']);
    await mismatchedLogin(admin, NEW);
    await recordVerification(db, verification(admin, NEW));
    expect(await serialOf(admin)).toBe(OLD);

    // Under `reject` the login never went through: nothing of it can re-pin.
    const refused = await pinnedAccount();
    await mismatchedLogin(refused, NEW, 'reject');
    await recordVerification(db, verification(refused, NEW));
    expect(await serialOf(refused)).toBe(OLD);
    for (const a of [account, admin, refused]) expect(await events(a)).toEqual([]);
  });

  it('records the verification and the re-pin together inside the caller’s transaction', async () => {
    const account = await pinnedAccount();
    await mismatchedLogin(account, NEW);
    await expect(
      db.transaction(async (trx) => {
        await recordVerification(trx, verification(account, NEW));
        throw new Error('the method failed after recording');
      }),
    ).rejects.toThrow('the method failed');
    expect(await serialOf(account)).toBe(OLD);
    expect(await listVerifications(db, account.id)).toEqual([]);
    expect(await events(account)).toEqual([]);
  });
});

describe('an administrator re-pins', () => {
  it('to the serial of the last login: every verification bound to the old serial counts again', async () => {
    const account = await pinnedAccount();
    await recordVerification(db, verification(account, OLD, { method: 'srs-video' }));
    await recordVerification(db, verification(account, OLD, { method: 'manual-counter', kind: 'manual', evidence: OTTO }));
    await mismatchedLogin(account, NEW);
    const user = await findUser(db, account.id);
    expect(user).toMatchObject({ mobileid_serial: OLD, presented_serial: { serial: NEW, login_refused: false }, serial_mismatch: true });
    expect(user!.msisdn).toMatch(/^\+417\*+\d\d$/);

    const outcome = await repinSerial(db, account.id, { actor: 'client:automation' });
    expect(outcome).toMatchObject({ ok: true, before: OLD, after: NEW, verificationsRebound: 2, user: { mobileid_serial: NEW, serial_mismatch: false } });
    expect(await counting(account, NEW)).toEqual(['manual-counter', 'srs-video']);
    const [event] = await events(account);
    expect(event).toMatchObject({ actor: 'client:automation', before: { serial: OLD }, after: { serial: NEW }, detail: { reason: 'admin', source: 'last_login', loginRefused: false, verificationsRebound: 2 } });

    expect(await repinSerial(db, account.id, { actor: 'client:automation' })).toEqual({ ok: false, error: 'unchanged' });
    expect(await events(account)).toHaveLength(1);
  });

  it('to the serial of a login the reject policy refused (known from its audit event only)', async () => {
    const account = await pinnedAccount();
    await runWrites(db, [recordLoginWrite(db, account.id, { method: 'sim', serial: OLD, serialMismatch: false, amr: ['hwk', 'pin', 'mfa'], at: new Date(Date.now() - 60_000).toISOString() })]);
    await mismatchedLogin(account, NEW, 'reject');
    expect((await findUser(db, account.id))?.presented_serial).toMatchObject({ serial: NEW, login_refused: true });
    const outcome = await repinSerial(db, account.id, { actor: 'account:someone-else', actorAccountId: 'another-account' });
    expect(outcome).toMatchObject({ ok: true, after: NEW });
    expect((await events(account))[0]).toMatchObject({ actor: 'account:someone-else', detail: { source: 'last_login', loginRefused: true } });
  });

  it('to a serial typed in, in any case', async () => {
    const account = await pinnedAccount();
    const outcome = await repinSerial(db, account.id, { serial: ' midchedddd000004 ', actor: 'client:automation' });
    expect(outcome).toMatchObject({ ok: true, before: OLD, after: 'MIDCHEDDDD000004' });
    expect((await events(account))[0]).toMatchObject({ detail: { source: 'given' } });
  });

  it('refuses what it cannot do, and changes nothing', async () => {
    const account = await pinnedAccount();
    expect(await repinSerial(db, account.id, { actor: 'x' })).toEqual({ ok: false, error: 'no_presented_serial' });
    expect(await repinSerial(db, account.id, { serial: 'not a serial', actor: 'x' })).toEqual({ ok: false, error: 'invalid_serial' });
    expect(await repinSerial(db, account.id, { serial: OLD.toLowerCase(), actor: 'x' })).toEqual({ ok: false, error: 'unchanged' });
    expect(await repinSerial(db, account.id, { serial: NEW, actor: `account:${account.id}`, actorAccountId: account.id })).toEqual({ ok: false, error: 'own_account' });
    expect(await repinSerial(db, '00000000-0000-4000-8000-000000000000', { serial: NEW, actor: 'x' })).toEqual({ ok: false, error: 'not_found' });
    expect(await repinSerial(db, 'nonsense', { serial: NEW, actor: 'x' })).toEqual({ ok: false, error: 'not_found' });
    expect(await serialOf(account)).toBe(OLD);
    expect(await events(account)).toEqual([]);
  });

  it('pins a serial for an account that never logged in', async () => {
    const { account } = await findOrCreateAccount(db, '41795559999');
    expect(await repinSerial(db, account.id, { actor: 'x' })).toEqual({ ok: false, error: 'no_presented_serial' });
    expect(await repinSerial(db, account.id, { serial: NEW, actor: 'x' })).toMatchObject({ ok: true, before: null, after: NEW, verificationsRebound: 0 });
  });
});

describe('looking a user up', () => {
  it('finds the account of a number as people type it, and says when it is no number', async () => {
    const { account } = await findOrCreateAccount(db, '41795558888', OLD);
    expect(await findUserByPhone(db, '079 555 88 88', '41')).toMatchObject({ user: { id: account.id, mobileid_serial: OLD, presented_serial: null, serial_mismatch: false } });
    expect(await findUserByPhone(db, '079 555 88 87', '41')).toEqual({ error: 'not_found' });
    expect(await findUserByPhone(db, 'abc', '41')).toEqual({ error: 'invalid_phone' });
    expect(await findUserByPhone(db, undefined, '41')).toEqual({ error: 'invalid_phone' });
  });
});
