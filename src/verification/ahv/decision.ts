/**
 * What a register answer means for the person being checked: the number is confirmed only when it
 * is active, the person is alive and the register's names and date of birth match the identity
 * being checked (compared as src/verification/identity.ts does: case, accents, umlauts, fewer
 * given names, one part of a double name). The family name may match the official name or the
 * name at birth. A date of birth the register knows only in part matches on the known part.
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

export interface AhvDecision {
  outcome: AhvOutcome;
  /** For `mismatch`: which fields differ (for the record only, never shown: it would tell strangers about the holder). */
  mismatches?: IdentityField[];
}

export function personMismatches(claimed: ClaimedIdentity, person: UpiPerson): IdentityField[] {
  const byOfficialName = identityMismatches(claimed, { givenNames: person.firstName, familyName: person.officialName, birthDate: claimed.birthDate });
  const byBirthName = person.originalName
    ? identityMismatches(claimed, { givenNames: person.firstName, familyName: person.originalName, birthDate: claimed.birthDate })
    : byOfficialName;
  const names = byOfficialName.length <= byBirthName.length ? byOfficialName : byBirthName;
  const birthDateMatches = claimed.birthDate.startsWith(person.dateOfBirth);
  return birthDateMatches ? names : [...names, 'birthDate'];
}

export function decideAhvCheck(lookup: UpiLookup, claimed: ClaimedIdentity): AhvDecision {
  if (lookup.state === 'not_found') return { outcome: 'not_found' };
  if (lookup.state !== 'active') return { outcome: lookup.state };
  const { person } = lookup;
  // No person data at this detail level: the number alone cannot be tied to the person.
  if (!person) return { outcome: 'mismatch', mismatches: ['givenNames', 'familyName', 'birthDate'] };
  if (person.dateOfDeath) return { outcome: 'deceased' };
  const mismatches = personMismatches(claimed, person);
  return mismatches.length ? { outcome: 'mismatch', mismatches } : { outcome: 'confirmed' };
}
