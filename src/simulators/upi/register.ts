/**
 * The simulator's small AHV register: test persons with numbers whose check digits are valid,
 * and numbers that make the service misbehave on purpose. Documented in README.md.
 */
export interface TestPerson {
  /** AHVN13, 13 digits. */
  vn: string;
  firstName: string;
  officialName: string;
  /** Family name at birth, when it differs. */
  originalName?: string;
  /** eCH-0044: 1 male, 2 female. */
  sex: '1' | '2';
  /** YYYY-MM-DD, or YYYY when the register knows only the year. */
  dateOfBirth: string;
  dateOfDeath?: string;
}

/** Active numbers, answered with the person. */
export const ACTIVE_PERSONS: readonly TestPerson[] = [
  { vn: '7561234567897', firstName: 'Anna', officialName: 'Muster', sex: '2', dateOfBirth: '1985-03-14' },
  { vn: '7569217076985', firstName: 'Jürg Peter', officialName: 'Müller', sex: '1', dateOfBirth: '1970-07-01' },
  { vn: '7563333333335', firstName: 'Maria', officialName: 'Rossi', originalName: 'Bianchi', sex: '2', dateOfBirth: '1990-12-24' },
  { vn: '7562222222224', firstName: 'Peter', officialName: 'Meier', sex: '1', dateOfBirth: '1962-05-30' },
  { vn: '7564444444446', firstName: 'Otto', officialName: 'Beispiel', sex: '1', dateOfBirth: '1931-02-02', dateOfDeath: '2020-11-30' },
];

/** Numbers that were replaced by another (the answer names the active number). */
export const REPLACED_NUMBERS: Readonly<Record<string, string>> = {
  '7560000000002': '7561234567897',
};

/** Numbers that were cancelled (the answer has no active number). */
export const CANCELLED_NUMBERS: readonly string[] = ['7569999999991'];

/** Numbers that make the service answer in a particular way. */
export const BEHAVIOUR_NUMBERS = {
  /** A SOAP fault (soap:Server). */
  soapFault: '7560000000095',
  /** The answer (the person is unknown) only after `slowMs`. */
  slow: '7560000000101',
  /** An eCH-0214 negativeReport for the whole request. */
  negativeReport: '7560000000118',
} as const;

export type RegisterAnswer =
  | { kind: 'person'; person: TestPerson }
  | { kind: 'replaced'; activeVn: string }
  | { kind: 'cancelled' }
  | { kind: 'unknown' };

export function lookUp(vn: string): RegisterAnswer {
  const person = ACTIVE_PERSONS.find((p) => p.vn === vn);
  if (person) return { kind: 'person', person };
  const replacement = REPLACED_NUMBERS[vn];
  if (replacement) return { kind: 'replaced', activeVn: replacement };
  if (CANCELLED_NUMBERS.includes(vn)) return { kind: 'cancelled' };
  return { kind: 'unknown' };
}
