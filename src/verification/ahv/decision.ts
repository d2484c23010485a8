/**
 * What a register answer means for the person being checked: the number is confirmed only when it
 * is active, the person is alive and the register's names and date of birth match the identity
 * being checked (compared as src/verification/identity.ts does: case, accents, umlauts, fewer
 * given names, one part of a double name). The family name may match the official name or the
 * name at birth. A date of birth the register knows only in part matches on the known part.
 *
 * The identity is compared before anything else about the holder is looked at: a number that
 * belongs to someone else is a `mismatch` whatever the register says about that person (that the
 * holder has died is recorded only for the holder's own identity). The precise outcome is for the
 * record and the audit only; the user is told just whether the number was confirmed.
 */
import { identityMismatches, type ClaimedIdentity, type IdentityField } from '../identity.js';
import type { UpiLookup, UpiPerson } from './responses.js';

export type AhvOutcome =
  | 'confirmed'
  /** The number was replaced by another one. */
  | 'inactive'
  /** The number was cancelled. */
  | 'cancelled'
  /** The register does not know the number. */
  | 'not_found'
  /** The holder of the number has died. */
  | 'deceased'
  /** The number exists but belongs to someone with other names or another date of birth. */
  | 'mismatch';

/** The register's own names and date of birth of the holder, as they matched the identity checked. */
export interface RegisteredIdentity {
  givenNames: string;
  /** The official name, or the name at birth when that is the one that matched. */
  familyName: string;
  /** `YYYY-MM-DD`, or `YYYY-MM` / `YYYY` when the register knows the date only in part. */
  birthDate: string;
}

export interface AhvDecision {
  outcome: AhvOutcome;
  /** For `mismatch`: which fields differ (for the record only, never shown: it would tell strangers about the holder). */
  mismatches?: IdentityField[];
  /** For `confirmed`: the holder's identity as the register knows it. */
  registered?: RegisteredIdentity;
}

function compare(claimed: ClaimedIdentity, person: UpiPerson): { mismatches: IdentityField[]; familyName: string } {
  const byOfficialName = identityMismatches(claimed, { givenNames: person.firstName, familyName: person.officialName, birthDate: claimed.birthDate });
  const byBirthName = person.originalName
    ? identityMismatches(claimed, { givenNames: person.firstName, familyName: person.originalName, birthDate: claimed.birthDate })
    : byOfficialName;
  const official = byOfficialName.length <= byBirthName.length;
  const names = official ? byOfficialName : byBirthName;
  const birthDateMatches = claimed.birthDate.startsWith(person.dateOfBirth);
  return { mismatches: birthDateMatches ? names : [...names, 'birthDate'], familyName: official ? person.officialName : person.originalName! };
}

export function personMismatches(claimed: ClaimedIdentity, person: UpiPerson): IdentityField[] {
  return compare(claimed, person).mismatches;
}

export function decideAhvCheck(lookup: UpiLookup, claimed: ClaimedIdentity): AhvDecision {
  if (lookup.state === 'not_found') return { outcome: 'not_found' };
  if (lookup.state !== 'active') return { outcome: lookup.state };
  const { person } = lookup;
  // No person data at this detail level: the number alone cannot be tied to the person.
  if (!person) return { outcome: 'mismatch', mismatches: ['givenNames', 'familyName', 'birthDate'] };
  // The identity first: nothing about the holder is decided for someone who is not the holder.
  const { mismatches, familyName } = compare(claimed, person);
  if (mismatches.length) return { outcome: 'mismatch', mismatches };
  if (person.dateOfDeath) return { outcome: 'deceased' };
  return { outcome: 'confirmed', registered: { givenNames: person.firstName, familyName, birthDate: person.dateOfBirth } };
}
