/**
 * AHV register checks in the database: each check is a row of `verifications` (method `ahv-upi`,
 * kind `ahv`, its evidence says which identity was checked and where it came from); a confirmed
 * check also keeps the number, encrypted, in `ahv_checks`. While the register is being asked the
 * row is `pending`: it holds the account's place under the rate limit (see `reserveAhvCheck`).
 */
import crypto from 'node:crypto';

import type { Db } from '../../db/index.js';
import { recordVerification, updateVerificationStatus, type NewVerification, type StoredVerification } from '../repository.js';
import { maskAhvn13 } from './ahvn13.js';
import type { AhvNumberCipher } from './cipher.js';

export const AHV_METHOD_ID = 'ahv-upi';

export type AhvCheckReservation = { ok: true; verificationId: string } | { ok: false };

/**
 * Takes one check of the account's rate limit, atomically: the account row is locked, the checks
 * made since `since` (any status, the pending ones too) are counted, and when fewer than `max` a
 * pending check is recorded before the lock is released. Parallel requests of the same account
 * therefore wait for each other and each sees the checks the others took.
 */
export async function reserveAhvCheck(
  db: Db,
  reservation: { accountId: string; since: Date; max: number; boundSerial: string | null; evidence: Record<string, unknown> },
): Promise<AhvCheckReservation> {
  return db.transaction(async (trx) => {
    const account = (await trx('accounts').where({ id: reservation.accountId }).forUpdate().first('id')) as { id: string } | undefined;
    if (!account) return { ok: false };
    if ((await checksSince(trx as unknown as Db, reservation.accountId, reservation.since)) >= reservation.max) return { ok: false };
    const pending = await recordVerification(trx as unknown as Db, {
      accountId: reservation.accountId,
      method: AHV_METHOD_ID,
      kind: 'ahv',
      status: 'pending',
      evidence: reservation.evidence,
      boundSerial: reservation.boundSerial,
    });
    return { ok: true, verificationId: pending.id };
  });
}

/** Removes a pending check the register never answered (nothing is recorded for it). */
export async function dropPendingAhvCheck(db: Db, verificationId: string): Promise<void> {
  await db('verifications').where({ id: verificationId, method: AHV_METHOD_ID, status: 'pending' }).delete();
}

/**
 * Completes a pending check with the register's answer; for a confirmed one (status `approved`)
 * the number is kept, encrypted.
 */
export async function completeAhvCheck(
  db: Db,
  cipher: AhvNumberCipher,
  verificationId: string,
  check: { compactNumber: string; status: 'approved' | 'rejected'; providerReference: string; evidence: Record<string, unknown>; verifiedAt: Date; expiresAt: Date },
): Promise<StoredVerification> {
  return db.transaction(async (trx) => {
    await trx('verifications').where({ id: verificationId, method: AHV_METHOD_ID, status: 'pending' }).update({ provider_reference: check.providerReference });
    const stored = await updateVerificationStatus(trx as unknown as Db, verificationId, 'pending', {
      status: check.status,
      evidence: check.evidence,
      verifiedAt: check.verifiedAt,
      expiresAt: check.expiresAt,
    });
    if (!stored) throw new Error('the pending AHV check is gone');
    if (stored.status === 'approved') await keepNumber(trx as unknown as Db, cipher, stored, check.compactNumber);
    return stored;
  });
}

async function keepNumber(db: Db, cipher: AhvNumberCipher, stored: StoredVerification, compactNumber: string): Promise<void> {
  await db('ahv_checks').insert({
    id: crypto.randomUUID(),
    account_id: stored.accountId,
    verification_id: stored.id,
    vn_encrypted: cipher.encrypt(compactNumber, stored.accountId),
    vn_hash: cipher.lookupHash(compactNumber),
    vn_masked: maskAhvn13(compactNumber),
  });
}

/** Records a check; for a confirmed one (status `approved`) the number is kept, encrypted. */
export async function recordAhvCheck(
  db: Db,
  cipher: AhvNumberCipher,
  check: Omit<NewVerification, 'method' | 'kind'> & { compactNumber: string },
): Promise<StoredVerification> {
  const { compactNumber, ...verification } = check;
  return db.transaction(async (trx) => {
    const stored = await recordVerification(trx as unknown as Db, { ...verification, method: AHV_METHOD_ID, kind: 'ahv' });
    if (stored.status === 'approved') await keepNumber(trx as unknown as Db, cipher, stored, compactNumber);
    return stored;
  });
}

/**
 * The AHV number of the account's most recent confirmed check that still counts: approved, not
 * expired, and bound to the given Mobile ID serial (or not bound). Decrypted; undefined when none.
 */
export async function confirmedAhvNumber(
  db: Db,
  cipher: AhvNumberCipher,
  accountId: string,
  at: { now: Date; serial: string | null; verificationIds: readonly string[] },
): Promise<string | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(accountId) || at.verificationIds.length === 0) return undefined;
  const row = (await db('ahv_checks as a')
    .join('verifications as v', 'v.id', 'a.verification_id')
    .where('a.account_id', accountId)
    .whereIn('v.id', [...at.verificationIds])
    .andWhere('v.status', 'approved')
    .andWhere('v.expires_at', '>', at.now)
    .andWhere((q) => {
      q.whereNull('v.bound_serial');
      if (at.serial) q.orWhereRaw('upper(v.bound_serial) = ?', [at.serial.toUpperCase()]);
    })
    .orderBy('v.verified_at', 'desc')
    .first('a.vn_encrypted')) as { vn_encrypted: string } | undefined;
  return row ? cipher.decrypt(row.vn_encrypted, accountId) : undefined;
}

/** Accounts with a confirmed check of this number (compact form), found by its keyed hash. */
export async function accountsWithAhvNumber(db: Db, cipher: AhvNumberCipher, compactNumber: string): Promise<string[]> {
  const rows = (await db('ahv_checks').where({ vn_hash: cipher.lookupHash(compactNumber) }).distinct('account_id')) as { account_id: string }[];
  return rows.map((r) => r.account_id);
}

/** How many checks the account has made since `since` (any outcome, pending ones too), for the rate limit. */
export async function checksSince(db: Db, accountId: string, since: Date): Promise<number> {
  const row = (await db('verifications').where({ account_id: accountId, method: AHV_METHOD_ID }).andWhere('created_at', '>', since).count('* as n').first()) as
    | { n: string | number }
    | undefined;
  return Number(row?.n ?? 0);
}
