/**
 * The identity a user claims before a verification (names, date of birth, nationality), and the
 * comparison of a claimed identity with the one a provider proved.
 *
 * Names are compared the way a person at a counter would: case, accents and umlaut spellings
 * (Müller = Mueller = MULLER), hyphens and apostrophes, extra spaces do not matter; a user may give
 * fewer given names than the document holds (Anna = Anna Maria), but every given name the user
 * gave must be on the document. Family names must match as a whole, or as one part of a double
 * name (Meier = Meier-Müller).
 */
export interface ClaimedIdentity {
  /** All given names, as the user typed them. */
  givenNames: string;
  familyName: string;
  /** ISO 8601 date, YYYY-MM-DD. */
  birthDate: string;
  /** ISO 3166-1 alpha-2 country code, upper case; absent when not asked. */
  nationality?: string;
}

export type IdentityField = keyof ClaimedIdentity;

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

/** The evidence fields (see src/qor/verified-claims.ts) of a proven identity. */
export function identityEvidence(proven: { givenNames: string; familyName: string; birthDate: string; nationality?: string | undefined }) {
  return {
    given_name: proven.givenNames,
    family_name: proven.familyName,
    birthdate: proven.birthDate.slice(0, 10),
    ...(proven.nationality ? { nationalities: [proven.nationality] } : {}),
  };
}
