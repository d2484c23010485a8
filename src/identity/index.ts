/**
 * A person's identity (names, date of birth, nationality) and how two of them are compared.
 * Pure functions with no dependencies: the verification methods compare what a user claims with
 * what a provider proved, and the policy engine compares the identities of verifications that
 * must belong to the same person (an "…AndAhv" QoR).
 *
 * Names are compared the way a person at a counter would: case, accents and umlaut spellings
 * (Müller = Mueller = MULLER), hyphens and apostrophes, extra spaces do not matter; a user may give
 * fewer given names than the document holds (Anna = Anna Maria), but every given name the user
 * gave must be on the document. Family names must match as a whole, or as one part of a double
 * name (Meier = Meier-Müller).
 */

/** Names and date of birth of one person. */
export interface PersonIdentity {
  /** All given names. */
  givenNames: string;
  familyName: string;
  /** ISO 8601 date, YYYY-MM-DD. */
  birthDate: string;
}

/** The identity a user claims before a verification. */
export interface ClaimedIdentity extends PersonIdentity {
  /** ISO 3166-1 alpha-2 country code, upper case; absent when not asked. */
  nationality?: string;
}

export type IdentityField = keyof ClaimedIdentity;

/** The spellings a name may take: accents dropped, and German umlauts written out (ü → ue). */
function spellings(name: string): string[] {
  const base = name
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/æ/g, 'ae')
    .replace(/œ/g, 'oe')
    .replace(/ø/g, 'o')
    .replace(/[-'’.]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const stripped = base.normalize('NFD').replace(/\p{M}/gu, '');
  const umlauts = base.replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue').normalize('NFD').replace(/\p{M}/gu, '');
  return [...new Set([stripped, umlauts])];
}

function tokens(spelling: string): string[] {
  return spelling.split(' ').filter(Boolean);
}

/** Every given name the user gave is among the proven ones (in any order). */
export function givenNamesMatch(claimed: string, proven: string): boolean {
  return spellings(claimed).some((c) =>
    spellings(proven).some((p) => {
      const have = tokens(p);
      const want = tokens(c);
      return want.length > 0 && want.every((t) => have.includes(t));
    }),
  );
}

/** The same family name, or one part of a double name given alone. */
export function familyNamesMatch(claimed: string, proven: string): boolean {
  return spellings(claimed).some((c) =>
    spellings(proven).some((p) => {
      if (c === p) return true;
      const [shorter, longer] = c.length <= p.length ? [c, p] : [p, c];
      const parts = tokens(shorter);
      const whole = ` ${longer} `;
      return parts.length > 0 && whole.includes(` ${parts.join(' ')} `);
    }),
  );
}

/** The fields of a claimed identity that a proven identity contradicts (empty when it matches). */
export function identityMismatches(
  claimed: ClaimedIdentity,
  proven: { givenNames?: string | undefined; familyName?: string | undefined; birthDate?: string | undefined },
): IdentityField[] {
  const out: IdentityField[] = [];
  if (proven.givenNames === undefined || !givenNamesMatch(claimed.givenNames, proven.givenNames)) out.push('givenNames');
  if (proven.familyName === undefined || !familyNamesMatch(claimed.familyName, proven.familyName)) out.push('familyName');
  if (proven.birthDate === undefined || proven.birthDate.slice(0, 10) !== claimed.birthDate) out.push('birthDate');
  return out;
}

/**
 * Whether two recorded identities are the same person: the same date of birth, family names that
 * match, and the given names of one all among those of the other (one record may hold fewer given
 * names than the other; neither side is the user's claim here, so either may be the shorter).
 */
export function samePerson(a: PersonIdentity, b: PersonIdentity): boolean {
  return (
    a.birthDate.slice(0, 10) === b.birthDate.slice(0, 10) &&
    familyNamesMatch(a.familyName, b.familyName) &&
    (givenNamesMatch(a.givenNames, b.givenNames) || givenNamesMatch(b.givenNames, a.givenNames))
  );
}
