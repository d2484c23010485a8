/**
 * Users, as administrators see them: an account looked up by its phone number or id, with its
 * Mobile ID serial pin and the serial its most recent login presented; and the re-pin of that
 * serial, when support has confirmed that the person re-activated Mobile ID themselves.
 *
 * A re-pin takes effect at the next login (no "re-activated" page, no further serial mismatch),
 * and the account's verifications bound to the old serial count again: the administrator has
 * confirmed the person. Each re-pin is audited as `account.serial_repinned`.
 */
import {
  findAccountById,
  findAccountByMsisdn,
  latestPresentedSerial,
  normaliseSerial,
  pinSerial,
  sameSerial,
  type Account,
  type PresentedSerial,
} from '../accounts/index.js';
import { audit, latestAuditEvent } from '../audit/index.js';
import type { Db } from '../db/index.js';
import { AppError } from '../errors.js';
import { maskMsisdn, normaliseMsisdn } from '../mobileid/index.js';
import { rebindVerifications } from '../verification/index.js';

/** An account as the admin API returns it (the number masked). */
export interface UserView {
  id: string;
  msisdn: string;
  roles: string[];
  created_at: string;
  /** The pinned Mobile ID serial; null until the first login. */
  mobileid_serial: string | null;
  serial_pinned_at: string | null;
  last_login_at: string | null;
  /** The serial of the most recent Mobile ID login (also of one refused for it), when it is known. */
  presented_serial: { serial: string; at: string; login_refused: boolean } | null;
  /** True when that serial differs from the pinned one: Mobile ID was re-activated since. */
  serial_mismatch: boolean;
}

export type RepinError = 'not_found' | 'invalid_serial' | 'no_presented_serial' | 'unchanged' | 'own_account';

export type RepinOutcome =
  | { ok: true; user: UserView; before: string | null; after: string; verificationsRebound: number }
  | { ok: false; error: RepinError };

export const REPIN_ERROR_STATUS: Record<RepinError, number> = {
  not_found: 404,
  invalid_serial: 400,
  no_presented_serial: 409,
  unchanged: 409,
  own_account: 403,
};

const subjectOf = (accountId: string) => `account:${accountId}`;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The serial of the account's most recent login (see `latestPresentedSerial`). */
async function presentedSerial(db: Db, account: Account): Promise<PresentedSerial | undefined> {
  const event = await latestAuditEvent(db, subjectOf(account.id), 'mobileid.serial_mismatch');
  const after = event?.after as { serial?: unknown } | null | undefined;
  const policy = (event?.detail as { policy?: unknown } | null | undefined)?.policy;
  const mismatch = event && typeof after?.serial === 'string' ? { serial: after.serial, at: new Date(event.at), policy: typeof policy === 'string' ? policy : undefined } : undefined;
  return latestPresentedSerial(account.lastLogin, mismatch);
}

async function viewOf(db: Db, account: Account): Promise<UserView> {
  const presented = await presentedSerial(db, account);
  return {
    id: account.id,
    msisdn: maskMsisdn(account.msisdn),
    roles: account.roles,
    created_at: account.createdAt.toISOString(),
    mobileid_serial: account.mobileidSerial,
    serial_pinned_at: iso(account.serialPinnedAt),
    last_login_at: iso(account.lastLoginAt),
    presented_serial: presented ? { serial: presented.serial, at: presented.at.toISOString(), login_refused: !presented.accepted } : null,
    serial_mismatch: presented !== undefined && account.mobileidSerial !== null && !sameSerial(account.mobileidSerial, presented.serial),
  };
}

export async function findUser(db: Db, id: string): Promise<UserView | undefined> {
  const account = await findAccountById(db, id);
  return account && viewOf(db, account);
}

/** The user of a phone number as a person types it; `invalid_phone` when it is no phone number. */
export async function findUserByPhone(db: Db, phone: unknown, defaultCountryCode: string): Promise<{ user: UserView } | { error: 'invalid_phone' | 'not_found' }> {
  let msisdn: string;
  try {
    msisdn = normaliseMsisdn(typeof phone === 'string' ? phone : '', defaultCountryCode);
  } catch (err) {
    if (err instanceof AppError) return { error: 'invalid_phone' };
    throw err;
  }
  const account = await findAccountByMsisdn(db, msisdn);
  return account ? { user: await viewOf(db, account) } : { error: 'not_found' };
}

/**
 * Re-pins the account's Mobile ID serial: to `serial` when the administrator gives one, else to
 * the serial of the account's most recent login. Nobody re-pins their own account. The
 * verifications bound to the old serial are bound to the new one, so they count again.
 */
export async function repinSerial(
  db: Db,
  accountId: string,
  opts: { serial?: unknown; actor: string; actorAccountId?: string | undefined },
): Promise<RepinOutcome> {
  const given = opts.serial === undefined || opts.serial === null || opts.serial === '' ? undefined : normaliseSerial(opts.serial);
  if (given === undefined && opts.serial !== undefined && opts.serial !== null && opts.serial !== '') return { ok: false, error: 'invalid_serial' };
  if (opts.actorAccountId && opts.actorAccountId === accountId) return { ok: false, error: 'own_account' };
  const outcome = await db.transaction(async (trx): Promise<RepinOutcome | { ok: true; before: string | null; after: string; verificationsRebound: number }> => {
    const account = await findAccountById(trx, accountId, { lock: true });
    if (!account) return { ok: false, error: 'not_found' };
    const presented = given === undefined ? await presentedSerial(trx, account) : undefined;
    const after = given ?? presented?.serial.toUpperCase();
    if (!after) return { ok: false, error: 'no_presented_serial' };
    const before = account.mobileidSerial;
    if (sameSerial(before, after)) return { ok: false, error: 'unchanged' };
    await pinSerial(trx, account.id, after);
    const verificationsRebound = before ? await rebindVerifications(trx, account.id, before, after) : 0;
    await audit(trx, {
      actor: opts.actor,
      action: 'account.serial_repinned',
      subject: subjectOf(account.id),
      before: { serial: before },
      after: { serial: after },
      detail: {
        reason: 'admin',
        source: given !== undefined ? 'given' : 'last_login',
        ...(presented ? { presentedAt: presented.at.toISOString(), loginRefused: !presented.accepted } : {}),
        verificationsRebound,
        msisdn: maskMsisdn(account.msisdn),
      },
    });
    return { ok: true, before, after, verificationsRebound };
  });
  if (!outcome.ok) return outcome;
  const user = await findUser(db, accountId);
  return { ok: true, user: user!, before: outcome.before, after: outcome.after, verificationsRebound: outcome.verificationsRebound };
}
