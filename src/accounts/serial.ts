/**
 * Mobile ID serial pinning (reference guide 4.2): the serial number of the user's certificate is
 * pinned at the first login. A different serial later means Mobile ID was re-activated without
 * recovery, so the second factor is not assured.
 *
 * The pin moves to the new serial in two ways only: an administrator re-pins it (after confirming
 * the person), or, under the `downgrade` policy, the user completes a new identity verification in
 * a login whose serial differed (see `repinDueToVerification`).
 */
import type { Account, LastLogin } from './repository.js';

export type SerialPolicy = 'reject' | 'downgrade';

export type SerialCheck = 'first' | 'match' | 'mismatch';

export function compareSerial(pinned: string | null, presented: string): SerialCheck {
  if (!pinned) return 'first';
  return sameSerial(pinned, presented) ? 'match' : 'mismatch';
}

/** Two serials are the same without regard to case. */
export function sameSerial(a: string | null | undefined, b: string | null | undefined): boolean {
  return typeof a === 'string' && typeof b === 'string' && a.toUpperCase() === b.toUpperCase();
}

/**
 * A serial as an administrator types it (e.g. `midcheptod58qe59`, spaces around it ignored), in
 * the upper case the login stores; undefined unless it is 6 to 64 letters and digits.
 */
export function normaliseSerial(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const serial = input.trim().toUpperCase();
  return /^[A-Z0-9]{6,64}$/.test(serial) ? serial : undefined;
}

/** A serial some login presented, and when. */
export interface PresentedSerial {
  serial: string;
  at: Date;
  /** False when the login was refused for it (the `reject` policy). */
  accepted: boolean;
}

/**
 * The serial of the account's most recent Mobile ID login: from the last login that went through
 * (`last_login`), or from the latest `mobileid.serial_mismatch` audit event, whichever is later.
 * The audit event is the only record of a login the `reject` policy refused.
 */
export function latestPresentedSerial(
  lastLogin: Pick<LastLogin, 'serial' | 'at'> | null,
  mismatch: { serial: string; at: Date; policy?: string | undefined } | undefined,
): PresentedSerial | undefined {
  const login = lastLogin ? { serial: lastLogin.serial, at: new Date(lastLogin.at), accepted: true } : undefined;
  const refusedOrDowngraded = mismatch ? { serial: mismatch.serial, at: mismatch.at, accepted: mismatch.policy !== 'reject' } : undefined;
  if (!login || Number.isNaN(login.at.getTime())) return refusedOrDowngraded;
  if (!refusedOrDowngraded) return login;
  // A downgraded login writes both, its audit event a moment after the signature time in last_login.
  return refusedOrDowngraded.at > login.at ? refusedOrDowngraded : login;
}

/**
 * Whether an approved identity verification bound to `boundSerial` re-pins the account to it: the
 * account's last login presented exactly that serial and was let through although it differed
 * from the pinned one (the `downgrade` policy). An account holding a role (administrator,
 * verifier) is re-pinned only by another administrator: its access must not follow whoever
 * re-activated Mobile ID on its number and can prove some identity.
 */
export function repinDueToVerification(account: Pick<Account, 'mobileidSerial' | 'lastLogin' | 'roles'>, boundSerial: string | null): boolean {
  if (!boundSerial || !account.mobileidSerial || sameSerial(account.mobileidSerial, boundSerial)) return false;
  if (account.roles.length > 0) return false;
  const last = account.lastLogin;
  return last !== null && last.serialMismatch && sameSerial(last.serial, boundSerial);
}

/**
 * Whether the account's most recent login presented a serial other than the pinned one and was
 * let through (the `downgrade` policy): until a re-pin, nobody can tell the person from whoever
 * re-activated Mobile ID on the number. Such a login never opens the admin console.
 */
export function serialInDoubt(account: Pick<Account, 'lastLogin'>): boolean {
  return account.lastLogin?.serialMismatch === true;
}
