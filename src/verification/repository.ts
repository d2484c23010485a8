/**
 * Identity verifications of users, with the evidence each method proved (JSONB).
 *
 * A verification is bound to the Mobile ID serial of the login it was made in. Recording one as
 * approved may move the account's serial pin (see `repinAfterVerification`), in the same
 * transaction.
 */
import crypto from 'node:crypto';

import { findAccountById, pinSerial, repinDueToVerification, sameSerial } from '../accounts/index.js';
import { audit } from '../audit/index.js';
import { asDate, type Db } from '../db/index.js';
import { samePerson } from '../identity/index.js';
import type { MethodKind, Verification, VerificationStatus } from '../qor/index.js';
import { recordedIdentity } from './identity.js';

export interface NewVerification {
  accountId: string;
  method: string;
  kind: MethodKind;
  status: VerificationStatus;
  providerReference?: string | undefined;
  /** What the method proved: names, date of birth, document, … (never logged). */
  evidence: Record<string, unknown>;
  boundSerial: string | null;
  verifiedAt?: Date | undefined;
  expiresAt?: Date | undefined;
}

export interface StoredVerification extends Verification {
  accountId: string;
  providerReference: string | null;
  evidence: Record<string, unknown>;
}

export interface VerificationRow {
  id: string;
  account_id: string;
  method: string;
  kind: MethodKind;
  status: VerificationStatus;
  provider_reference: string | null;
  evidence: Record<string, unknown> | string;
  bound_serial: string | null;
  verified_at: Date | string | null;
  expires_at: Date | string | null;
}

/** A stored verification from its row, as selected or as read inside JSON (`to_jsonb`). */
export function verificationFromRow(r: VerificationRow): StoredVerification {
  const evidence = typeof r.evidence === 'string' ? (JSON.parse(r.evidence) as Record<string, unknown>) : r.evidence;
  const identity = recordedIdentity(r.kind, evidence);
  return {
    id: r.id,
    accountId: r.account_id,
    method: r.method,
    kind: r.kind,
    status: r.status,
    providerReference: r.provider_reference,
    evidence,
    ...(identity ? { identity } : {}),
    boundSerial: r.bound_serial,
    verifiedAt: asDate(r.verified_at) ?? new Date(0),
    expiresAt: asDate(r.expires_at) ?? new Date(0),
  };
}

export async function recordVerification(db: Db, v: NewVerification): Promise<StoredVerification> {
  const insert = async (q: Db) => {
    const [row] = (await q('verifications')
      .insert({
        id: crypto.randomUUID(),
        account_id: v.accountId,
        method: v.method,
        kind: v.kind,
        status: v.status,
        provider_reference: v.providerReference ?? null,
        evidence: JSON.stringify(v.evidence),
        bound_serial: v.boundSerial,
        verified_at: v.verifiedAt ?? null,
        expires_at: v.expiresAt ?? null,
      })
      .returning('*')) as VerificationRow[];
    return verificationFromRow(row!);
  };
  if (v.status !== 'approved') return insert(db);
  return inTransaction(db, async (trx) => {
    const stored = await insert(trx);
    await repinAfterVerification(trx, stored);
    return stored;
  });
}

export async function listVerifications(db: Db, accountId: string): Promise<StoredVerification[]> {
  if (!/^[0-9a-f-]{36}$/i.test(accountId)) return [];
  const rows = (await db('verifications').where({ account_id: accountId }).orderBy('created_at')) as VerificationRow[];
  return rows.map(verificationFromRow);
}

export interface VerificationUpdate {
  status: VerificationStatus;
  /** Replaces the stored evidence when given. */
  evidence?: Record<string, unknown> | undefined;
  verifiedAt?: Date | undefined;
  expiresAt?: Date | undefined;
}

/**
 * Moves a verification on (e.g. a pending counter case to approved or rejected). Only a record
 * still in `fromStatus` changes; returns the updated record, or undefined when it was not there.
 */
export async function updateVerificationStatus(db: Db, id: string, fromStatus: VerificationStatus, update: VerificationUpdate): Promise<StoredVerification | undefined> {
  const change = async (q: Db) => {
    const [row] = (await q('verifications')
      .where({ id, status: fromStatus })
      .update({
        status: update.status,
        ...(update.evidence ? { evidence: JSON.stringify(update.evidence) } : {}),
        ...(update.verifiedAt ? { verified_at: update.verifiedAt } : {}),
        ...(update.expiresAt ? { expires_at: update.expiresAt } : {}),
        updated_at: q.fn.now(),
      })
      .returning('*')) as VerificationRow[];
    return row && verificationFromRow(row);
  };
  if (update.status !== 'approved') return change(db);
  return inTransaction(db, async (trx) => {
    const stored = await change(trx);
    if (stored) await repinAfterVerification(trx, stored);
    return stored;
  });
}

/**
 * Binds the account's verifications bound to the serial `from` (without regard to case) to `to`:
 * all of them, or only those among `ids`. Returns how many changed.
 */
export async function rebindVerifications(db: Db, accountId: string, from: string, to: string, ids?: readonly string[]): Promise<number> {
  if (ids && ids.length === 0) return 0;
  const q = db('verifications').where({ account_id: accountId }).whereRaw('upper(bound_serial) = ?', [from.toUpperCase()]);
  if (ids) q.whereIn('id', [...ids]);
  return Number(await q.update({ bound_serial: to, updated_at: db.fn.now() }));
}

/** The kinds of verification that prove who the person is (an AHV register check does not). */
const PROVING_KINDS: ReadonlySet<MethodKind> = new Set(['auto', 'manual']);

/**
 * The user verified again after Mobile ID was re-activated: an approved identity verification
 * bound to the serial of the account's last login, a login let through although its serial
 * differed from the pinned one (the `downgrade` policy), pins that serial, so later logins are
 * normal again. The account's earlier verifications of the same person (names and date of birth
 * as this one proved them) count again; those of anyone else stay bound to the old serial and
 * never count again (the number may have passed to another person). Audited as
 * `account.serial_repinned`. Run inside the transaction that approves the verification.
 */
export async function repinAfterVerification(trx: Db, v: StoredVerification): Promise<void> {
  if (v.status !== 'approved' || !PROVING_KINDS.has(v.kind) || !v.boundSerial) return;
  // Nearly always the serial is the pinned one: the row is locked only when a re-pin is due.
  const seen = await findAccountById(trx, v.accountId);
  if (!seen || !repinDueToVerification(seen, v.boundSerial)) return;
  const account = await findAccountById(trx, v.accountId, { lock: true });
  if (!account || !repinDueToVerification(account, v.boundSerial)) return;
  const before = account.mobileidSerial!;
  const after = v.boundSerial.toUpperCase();
  await pinSerial(trx, account.id, after);
  const identity = v.identity;
  const samePersonIds = identity
    ? (await listVerifications(trx, account.id))
        .filter((o) => o.id !== v.id && o.status === 'approved' && sameSerial(o.boundSerial, before) && o.identity !== undefined && samePerson(o.identity, identity))
        .map((o) => o.id)
    : [];
  const rebound = await rebindVerifications(trx, account.id, before, after, samePersonIds);
  await audit(trx, {
    actor: `account:${account.id}`,
    action: 'account.serial_repinned',
    subject: `account:${account.id}`,
    before: { serial: before },
    after: { serial: after },
    detail: { reason: 'verified_again', verification: v.id, method: v.method, verificationsRebound: rebound },
  });
}

/** Runs `fn` in the caller's transaction, or in a new one. */
function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction((trx) => fn(trx as unknown as Db));
}
