/**
 * Whose AHV number is checked: the identity the user's other verification proved (the most recent
 * one that counts now and proved names or a date of birth), otherwise what the user enters. Fields
 * the proven identity lacks are entered by the user; the check's record says which came from where.
 */
import { validVerifications } from '../../qor/index.js';
import type { ClaimedIdentity, IdentityField } from '../identity.js';
import type { StoredVerification } from '../repository.js';

export type PersonField = Exclude<IdentityField, 'nationality'>;
export const PERSON_FIELDS: readonly PersonField[] = ['givenNames', 'familyName', 'birthDate'];

export interface ProvenPerson {
  verificationId: string;
  method: string;
  /** What the verification proved (fields it did not prove are absent). */
  known: Partial<Pick<ClaimedIdentity, PersonField>>;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** The most recent valid verification (other than an AHV check) that proved part of the identity. */
export function provenPerson(verifications: readonly StoredVerification[], at: { now: Date; serial: string }): ProvenPerson | undefined {
  const valid = new Set(validVerifications(verifications, at).map((v) => v.id));
  const candidates = verifications
    .filter((v) => valid.has(v.id) && v.kind !== 'ahv')
    .map((v) => {
      const e = v.evidence;
      const birthDate = text(e.birthdate)?.slice(0, 10);
      const known: ProvenPerson['known'] = {
        ...(text(e.given_name) ? { givenNames: text(e.given_name)! } : {}),
        ...(text(e.family_name) ? { familyName: text(e.family_name)! } : {}),
        ...(birthDate && /^\d{4}-\d{2}-\d{2}$/.test(birthDate) ? { birthDate } : {}),
      };
      return { verification: v, known };
    })
    .filter((c) => Object.keys(c.known).length > 0)
    .sort((a, b) => b.verification.verifiedAt.getTime() - a.verification.verifiedAt.getTime());
  const latest = candidates[0];
  return latest && { verificationId: latest.verification.id, method: latest.verification.method, known: latest.known };
}

/** The fields the user has to enter, given what was proven. */
export function fieldsToEnter(proven: ProvenPerson | undefined): PersonField[] {
  return PERSON_FIELDS.filter((f) => proven?.known[f] === undefined);
}
