/**
 * AHV register checks in the database: each check is a row of `verifications` (method `ahv-upi`,
 * kind `ahv`, its evidence says which identity was checked and where it came from); a confirmed
 * check also keeps the number, encrypted, in `ahv_checks`.
 */
import crypto from 'node:crypto';

import type { Db } from '../../db/index.js';
import { recordVerification, type NewVerification, type StoredVerification } from '../repository.js';
import { maskAhvn13 } from './ahvn13.js';
import type { AhvNumberCipher } from './cipher.js';

export const AHV_METHOD_ID = 'ahv-upi';

/** Records a check; for a confirmed one (status `approved`) the number is kept, encrypted. */
export async function recordAhvCheck(
  db: Db,
  cipher: AhvNumberCipher,
  check: Omit<NewVerification, 'method' | 'kind'> & { compactNumber: string },
): Promise<StoredVerification> {
  const { compactNumber, ...verification } = check;
  return db.transaction(async (trx) => {
    const stored = await recordVerification(trx as unknown as Db, { ...verification, method: AHV_METHOD_ID, kind: 'ahv' });
    if (stored.status === 'approved') {
      await trx('ahv_checks').insert({
        id: crypto.randomUUID(),
        account_id: stored.accountId,
        verification_id: stored.id,
        vn_encrypted: cipher.encrypt(compactNumber, stored.accountId),
        vn_hash: cipher.lookupHash(compactNumber),
        vn_masked: maskAhvn13(compactNumber),
      });
    }
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

/** How many checks the account has made since `since` (any outcome), for the rate limit. */
export async function checksSince(db: Db, accountId: string, since: Date): Promise<number> {
  const row = (await db('verifications').where({ account_id: accountId, method: AHV_METHOD_ID }).andWhere('created_at', '>', since).count('* as n').first()) as
    | { n: string | number }
    | undefined;
  return Number(row?.n ?? 0);
}
