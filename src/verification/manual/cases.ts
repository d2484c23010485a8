/**
 * The counter cases in Postgres. Every change of state is one conditional UPDATE, so two
 * verifiers (or a verifier and the user) racing for the same case cannot both win, whichever
 * instance serves them.
 */
import type { Db } from '../../db/index.js';
import type { ClaimedIdentity } from '../identity.js';
import { newJti, newShortCode } from './reference.js';

export type CaseState = 'open' | 'approved' | 'rejected' | 'cancelled' | 'expired';

export interface DocumentRecord {
  /** OpenID Connect for Identity Assurance document types. */
  type: 'passport' | 'idcard' | 'residence_permit';
  number: string;
  /** ISO 3166-1 alpha-2. */
  issuingCountry: string;
  /** YYYY-MM-DD. */
  expiryDate: string;
}

export interface CounterCase {
  id: string;
  accountId: string;
  verificationId: string;
  state: CaseState;
  shortCode: string;
  jti: string;
  claimed: ClaimedIdentity;
  boundSerial: string | null;
  locale: string;
  expiresAt: Date;
  lockedBy: string | null;
  lockedAt: Date | null;
  lockExpiresAt: Date | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  reason: string | null;
  document: DocumentRecord | null;
  createdAt: Date;
}

interface Row {
  id: string;
  account_id: string;
  verification_id: string;
  state: CaseState;
  short_code: string;
  jti: string;
  claimed: Record<string, string> | string;
  bound_serial: string | null;
  locale: string;
  expires_at: Date;
  locked_by: string | null;
  locked_at: Date | null;
  lock_expires_at: Date | null;
  decided_by: string | null;
  decided_at: Date | null;
  reason: string | null;
  document: DocumentRecord | string | null;
  created_at: Date;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const date = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));

function fromRow(r: Row): CounterCase {
  const claimed = json(r.claimed);
  return {
    id: r.id,
    accountId: r.account_id,
    verificationId: r.verification_id,
    state: r.state,
    shortCode: r.short_code,
    jti: r.jti,
    claimed: {
      givenNames: claimed.given_names ?? '',
      familyName: claimed.family_name ?? '',
      birthDate: claimed.birth_date ?? '',
      ...(claimed.nationality ? { nationality: claimed.nationality } : {}),
    },
    boundSerial: r.bound_serial,
    locale: r.locale,
    expiresAt: date(r.expires_at)!,
    lockedBy: r.locked_by,
    lockedAt: date(r.locked_at),
    lockExpiresAt: date(r.lock_expires_at),
    decidedBy: r.decided_by,
    decidedAt: date(r.decided_at),
    reason: r.reason,
    document: r.document === null ? null : json(r.document),
    createdAt: date(r.created_at)!,
  };
}

const TABLE = 'manual_cases';

export interface NewCase {
  id: string;
  accountId: string;
  verificationId: string;
  claimed: ClaimedIdentity;
  boundSerial: string | null;
  locale: string;
  expiresAt: Date;
}

/** Inserts an open case with a fresh short code and jti (call inside the transaction that records the pending verification). */
export async function insertCase(db: Db, c: NewCase): Promise<CounterCase> {
  let shortCode = newShortCode();
  // 32^8 codes: a clash is very unlikely, but a unique violation would abort the transaction.
  for (let i = 0; i < 5 && (await db(TABLE).where({ short_code: shortCode }).first('id')); i += 1) shortCode = newShortCode();
  const [row] = (await db(TABLE)
    .insert({
      id: c.id,
      account_id: c.accountId,
      verification_id: c.verificationId,
      state: 'open',
      short_code: shortCode,
      jti: newJti(),
      claimed: JSON.stringify({
        given_names: c.claimed.givenNames,
        family_name: c.claimed.familyName,
        birth_date: c.claimed.birthDate,
        ...(c.claimed.nationality ? { nationality: c.claimed.nationality } : {}),
      }),
      bound_serial: c.boundSerial,
      locale: c.locale,
      expires_at: c.expiresAt,
    })
    .returning('*')) as Row[];
  return fromRow(row!);
}

export async function findCase(db: Db, id: string): Promise<CounterCase | undefined> {
  const row = (await db(TABLE).where({ id }).first()) as Row | undefined;
  return row && fromRow(row);
}

export async function findCaseByShortCode(db: Db, shortCode: string): Promise<CounterCase | undefined> {
  const row = (await db(TABLE).where({ short_code: shortCode }).first()) as Row | undefined;
  return row && fromRow(row);
}

/** The account's open case (at most one), if it has not expired yet. */
export async function findOpenCase(db: Db, accountId: string, now: Date): Promise<CounterCase | undefined> {
  const row = (await db(TABLE).where({ account_id: accountId, state: 'open' }).andWhere('expires_at', '>', now).first()) as Row | undefined;
  return row && fromRow(row);
}

/** The account's most recently closed case (to tell the user how the last visit ended). */
export async function findLastClosedCase(db: Db, accountId: string): Promise<CounterCase | undefined> {
  const row = (await db(TABLE).where({ account_id: accountId }).whereNot({ state: 'open' }).orderBy('updated_at', 'desc').first()) as Row | undefined;
  return row && fromRow(row);
}

/**
 * Locks an open, unexpired case to a verifier: free, already theirs, or a lock that timed out.
 * Returns the locked case, or undefined when another verifier holds it (or it is not open).
 */
export async function lockCase(db: Db, opts: { id: string; verifierId: string; now: Date; lockMinutes: number }): Promise<CounterCase | undefined> {
  const [row] = (await db(TABLE)
    .where({ id: opts.id, state: 'open' })
    .andWhere('expires_at', '>', opts.now)
    .andWhere((q) => q.whereNull('locked_by').orWhere('locked_by', opts.verifierId).orWhere('lock_expires_at', '<=', opts.now))
    .update({
      locked_by: opts.verifierId,
      locked_at: opts.now,
      lock_expires_at: new Date(opts.now.getTime() + opts.lockMinutes * 60_000),
      updated_at: opts.now,
    })
    .returning('*')) as Row[];
  return row && fromRow(row);
}

/** Gives a case back without a decision; only its holder can. */
export async function releaseCase(db: Db, opts: { id: string; verifierId: string; now: Date }): Promise<boolean> {
  const n = await db(TABLE)
    .where({ id: opts.id, state: 'open', locked_by: opts.verifierId })
    .update({ locked_by: null, locked_at: null, lock_expires_at: null, updated_at: opts.now });
  return n > 0;
}

/** Whether the verifier holds a valid lock on the open, unexpired case. */
export function heldBy(c: CounterCase, verifierId: string, now: Date): boolean {
  return c.state === 'open' && c.expiresAt > now && c.lockedBy === verifierId && c.lockExpiresAt !== null && c.lockExpiresAt > now;
}

/**
 * Records the decision: only the verifier holding a valid lock on an open, unexpired case can.
 * This is what makes the QR code single-use: a decided case refuses every later scan.
 */
export async function decideCase(
  db: Db,
  opts: { id: string; verifierId: string; now: Date; state: 'approved' | 'rejected'; reason?: string | undefined; document?: DocumentRecord | undefined },
): Promise<CounterCase | undefined> {
  const [row] = (await db(TABLE)
    .where({ id: opts.id, state: 'open', locked_by: opts.verifierId })
    .andWhere('lock_expires_at', '>', opts.now)
    .andWhere('expires_at', '>', opts.now)
    .update({
      state: opts.state,
      decided_by: opts.verifierId,
      decided_at: opts.now,
      reason: opts.reason ?? null,
      document: opts.document ? JSON.stringify(opts.document) : null,
      locked_by: null,
      locked_at: null,
      lock_expires_at: null,
      updated_at: opts.now,
    })
    .returning('*')) as Row[];
  return row && fromRow(row);
}

/** The user withdraws an open case, unless a verifier is checking it at this moment. */
export async function cancelCase(db: Db, opts: { id: string; accountId: string; now: Date }): Promise<CounterCase | undefined> {
  const [row] = (await db(TABLE)
    .where({ id: opts.id, account_id: opts.accountId, state: 'open' })
    .andWhere((q) => q.whereNull('locked_by').orWhere('lock_expires_at', '<=', opts.now))
    .update({ state: 'cancelled', reason: 'cancelled_by_user', locked_by: null, locked_at: null, lock_expires_at: null, updated_at: opts.now })
    .returning('*')) as Row[];
  return row && fromRow(row);
}

/** Closes every open case whose document has expired; returns them. */
export async function expireCases(db: Db, now: Date, accountId?: string): Promise<CounterCase[]> {
  const q = db(TABLE).where({ state: 'open' }).andWhere('expires_at', '<=', now);
  if (accountId) q.andWhere({ account_id: accountId });
  const rows = (await q
    .update({ state: 'expired', reason: 'expired', locked_by: null, locked_at: null, lock_expires_at: null, updated_at: now })
    .returning('*')) as Row[];
  return rows.map(fromRow);
}
