/**
 * The identity a user claims before a verification (names, date of birth, nationality): the form
 * that asks for it, and how a verification records the identity it proved or checked. How two
 * identities are compared lives in src/identity (shared with the policy engine).
 */
import type { ClaimedIdentity, IdentityField, PersonIdentity } from '../identity/index.js';

export {
  familyNamesMatch,
  givenNamesMatch,
  identityMismatches,
  type ClaimedIdentity,
  type IdentityField,
  type PersonIdentity,
} from '../identity/index.js';

/** Translation keys of the problems with a submitted identity form, by field. */
export type IdentityErrors = Partial<Record<IdentityField, string>>;

const NAME = /^[\p{L}\p{M}][\p{L}\p{M} '’.-]{0,99}$/u;

/** Validates the fields of an identity form (strings from a POST body). */
export function parseClaimedIdentity(
  body: Record<string, unknown>,
  opts: { requireNationality?: boolean; today?: Date } = {},
): { identity: ClaimedIdentity; errors?: undefined } | { identity?: undefined; errors: IdentityErrors } {
  const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string).trim().replace(/\s+/g, ' ') : '');
  const givenNames = text('given_names');
  const familyName = text('family_name');
  const birthDate = text('birth_date');
  const nationality = text('nationality').toUpperCase();
  const errors: IdentityErrors = {};
  if (!NAME.test(givenNames)) errors.givenNames = 'identity.error.given_names';
  if (!NAME.test(familyName)) errors.familyName = 'identity.error.family_name';
  if (!isPastDate(birthDate, opts.today ?? new Date())) errors.birthDate = 'identity.error.birth_date';
  if ((opts.requireNationality || nationality) && !/^[A-Z]{2}$/.test(nationality)) errors.nationality = 'identity.error.nationality';
  if (Object.keys(errors).length) return { errors };
  return { identity: { givenNames, familyName, birthDate, ...(nationality ? { nationality } : {}) } };
}

function isPastDate(value: string, today: Date): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (date.toISOString().slice(0, 10) !== value) return false; // 2001-02-30 and the like
  return Number(m[1]) >= 1900 && date.getTime() < today.getTime();
}

/** The evidence fields (see src/qor/verified-claims.ts) of a proven identity. */
export function identityEvidence(proven: { givenNames: string; familyName: string; birthDate: string; nationality?: string | undefined }) {
  return {
    given_name: proven.givenNames,
    family_name: proven.familyName,
    birthdate: proven.birthDate.slice(0, 10),
    ...(proven.nationality ? { nationalities: [proven.nationality] } : {}),
  };
}

/** The evidence field under which an AHV register check records the identity it checked. */
export function checkedIdentityEvidence(person: PersonIdentity) {
  return { checked: { given_names: person.givenNames, family_name: person.familyName, birthdate: person.birthDate } };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/**
 * The person a stored verification is about, from its evidence: for an AHV register check the
 * identity it checked against the register (`checked`), for the other methods the identity they
 * proved (`given_name`, `family_name`, `birthdate`). Undefined unless names and date of birth are
 * all recorded.
 */
export function recordedIdentity(kind: string, evidence: Record<string, unknown>): PersonIdentity | undefined {
  const source = kind === 'ahv' ? evidence.checked : evidence;
  if (!source || typeof source !== 'object') return undefined;
  const e = source as Record<string, unknown>;
  const givenNames = text(kind === 'ahv' ? e.given_names : e.given_name);
  const familyName = text(e.family_name);
  const birthDate = text(e.birthdate)?.slice(0, 10);
  if (!givenNames || !familyName || !birthDate || !/^\d{4}-\d{2}-\d{2}$/.test(birthDate)) return undefined;
  return { givenNames, familyName, birthDate };
}
