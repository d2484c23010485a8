/**
 * What a verified Freja eID result (the JWS payload of an APPROVED authentication) proves, once it
 * is shown to belong to our request:
 *   binding     authRef is ours, status is APPROVED, minRegistrationLevel is what we asked
 *   time        timestamp after we asked, not in the future, not older than the policy allows
 * (each failure is FrejaError `result_mismatch`), and then, as outcomes rather than errors:
 *   level       the user's registration level is one the policy accepts (BASIC never is)
 *   attributes  names and date of birth are there (the SSN where Freja has one)
 */
import { resultMismatch } from './errors.js';
import type { FrejaPolicy } from './policy.js';
import { REGISTRATION_LEVELS, type RegistrationLevel } from './protocol.js';

/** Clock difference tolerated between Freja and us. */
const CLOCK_SKEW_MS = 60_000;

export interface FrejaIdentity {
  givenNames: string;
  familyName: string;
  /** YYYY-MM-DD. */
  birthDate: string;
  registrationLevel: RegistrationLevel;
  /** The national identity number and its country, where Freja has one. */
  ssn?: { country: string; number: string } | undefined;
  /** When the person approved, per Freja. */
  approvedAt: Date;
}

export type ResultOutcome =
  | { ok: true; identity: FrejaIdentity }
  | { ok: false; reason: 'level_too_low' | 'incomplete'; messageKey: string; registrationLevel?: RegistrationLevel | undefined };

export interface ExpectedResult {
  authRef: string;
  minRegistrationLevel: RegistrationLevel;
  /** When we initiated the authentication. */
  requestedAt: Date;
  now: Date;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const rec = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

function isLevel(v: unknown): v is RegistrationLevel {
  return typeof v === 'string' && (REGISTRATION_LEVELS as readonly string[]).includes(v);
}

export function interpretApprovedResult(payload: Record<string, unknown>, expected: ExpectedResult, policy: FrejaPolicy): ResultOutcome {
  if (payload.authRef !== expected.authRef) throw resultMismatch('binding: the signed result is about another authentication');
  if (payload.status !== 'APPROVED') throw resultMismatch(`binding: signed status ${String(payload.status).slice(0, 24)} is not APPROVED`);
  if (payload.minRegistrationLevel !== expected.minRegistrationLevel) {
    throw resultMismatch(`binding: signed minRegistrationLevel ${String(payload.minRegistrationLevel).slice(0, 12)} is not the requested ${expected.minRegistrationLevel}`);
  }
  const timestamp = payload.timestamp;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) throw resultMismatch('time: no timestamp');
  if (timestamp < expected.requestedAt.getTime() - CLOCK_SKEW_MS) throw resultMismatch('time: approved before the request was made');
  if (timestamp > expected.now.getTime() + CLOCK_SKEW_MS) throw resultMismatch('time: approved in the future');
  if (expected.now.getTime() - timestamp > policy.resultMaxAgeSeconds * 1000) throw resultMismatch('time: the result is too old');

  const attributes = rec(payload.requestedAttributes) ?? {};
  const signedLevel = attributes.registrationLevel;
  if (signedLevel !== undefined && !isLevel(signedLevel)) throw resultMismatch('level: unknown registration level');
  // Without the attribute, Freja's guarantee is the minimum we asked for.
  const level: RegistrationLevel = signedLevel ?? expected.minRegistrationLevel;
  if (!policy.acceptedRegistrationLevels.includes(level)) {
    return { ok: false, reason: 'level_too_low', messageKey: 'verification.freja.level_too_low', registrationLevel: level };
  }

  const basic = rec(attributes.basicUserInfo);
  const givenNames = str(basic?.name);
  const familyName = str(basic?.surname);
  const birthDate = str(attributes.dateOfBirth);
  if (!givenNames || !familyName || !birthDate || !/^\d{4}-\d{2}-\d{2}$/.test(birthDate)) {
    return { ok: false, reason: 'incomplete', messageKey: 'verification.freja.incomplete', registrationLevel: level };
  }
  const ssnRecord = rec(attributes.ssn);
  const ssnNumber = str(ssnRecord?.ssn);
  const ssnCountry = str(ssnRecord?.country);
  return {
    ok: true,
    identity: {
      givenNames,
      familyName,
      birthDate,
      registrationLevel: level,
      ...(ssnNumber && ssnCountry ? { ssn: { country: ssnCountry.toUpperCase(), number: ssnNumber } } : {}),
      approvedAt: new Date(timestamp),
    },
  };
}
