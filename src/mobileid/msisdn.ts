/**
 * Phone numbers as the user types them → the MSISDN form the Mobile ID API uses.
 *
 * The API takes the international number without spaces; a leading `+` is allowed but not
 * needed (reference guide 4.1.1 item 4). The recorded requests and responses use digits only,
 * country code first (`41700092501`), so that is the one form we send and store.
 */
import { localError, type MobileIdError } from './errors.js';

/** E.164: at most 15 digits including the country calling code. */
const E164_MAX_DIGITS = 15;
/** Shortest number we accept: a 1–3 digit country code plus a subscriber number. */
const MIN_DIGITS = 8;
/** Swiss numbers: `41` followed by exactly 9 digits (also the documented test numbers). */
const NATIONAL_LENGTHS: Readonly<Record<string, number>> = { '41': 9 };
const NATIONAL_LENGTH_LIST = Object.entries(NATIONAL_LENGTHS);

/** The MSISDN form: digits only, country code first, within E.164's length. */
const MSISDN = new RegExp(`^[1-9]\\d{${MIN_DIGITS - 1},${E164_MAX_DIGITS - 1}}$`);

/** Separators people type inside phone numbers. */
const SEPARATORS = /[\s\u00a0\u2000-\u200b\u202f.\-/()]/g;

function invalid(reason: string): MobileIdError {
  // The input itself never goes into the error: it may be a full phone number.
  return localError('invalid_msisdn', 400, `phone number refused: ${reason}`);
}

/**
 * Normalise a phone number to the MSISDN form `41791234567`.
 *
 * Accepts `+41 79 123 45 67`, `+41 (0)79 123 45 67`, `0041791234567`, `41791234567`, and the
 * national form `079 123 45 67` (prefixed with `defaultCountryCode`). Anything else throws
 * MobileIdError `invalid_msisdn` (400), before anything is sent.
 */
export function normaliseMsisdn(input: string, defaultCountryCode = '41'): string {
  if (!/^[1-9]\d{0,2}$/.test(defaultCountryCode)) {
    throw invalid('default country calling code must be 1 to 3 digits');
  }
  // Already in MSISDN form (a stored number, checked again before each request to Mobile ID).
  if (MSISDN.test(input) && !wrongNationalLength(input)) return input;
  const trimmed = input.trim();
  if (trimmed === '') throw invalid('empty');
  if (trimmed.length > 40) throw invalid('too long');
  // "+41 (0)79 ..." is a common way of writing the national trunk prefix; drop the "(0)".
  const withoutTrunk = trimmed.replace(/^(\+\d{1,3})\s*\(0\)/, '$1');
  const compact = withoutTrunk.replace(SEPARATORS, '');
  if (!/^\+?\d+$/.test(compact)) throw invalid('only digits, spaces and a leading + are allowed');

  let digits: string;
  if (compact.startsWith('+')) {
    digits = compact.slice(1);
  } else if (compact.startsWith('00')) {
    digits = compact.slice(2);
  } else if (compact.startsWith('0')) {
    digits = defaultCountryCode + compact.slice(1);
  } else {
    digits = compact;
  }

  if (!/^[1-9]/.test(digits)) throw invalid('country calling code cannot start with 0');
  if (digits.length < MIN_DIGITS) throw invalid('too short');
  if (digits.length > E164_MAX_DIGITS) throw invalid('longer than 15 digits (E.164)');
  const wrong = wrongNationalLength(digits);
  if (wrong) throw invalid(`numbers with country code +${wrong.cc} have ${wrong.nationalLength} digits after it`);
  return digits;
}

/** The country whose numbers have another length than `digits`, if any. */
function wrongNationalLength(digits: string): { cc: string; nationalLength: number } | undefined {
  for (const [cc, nationalLength] of NATIONAL_LENGTH_LIST) {
    if (digits.startsWith(cc) && digits.length !== cc.length + nationalLength) return { cc, nationalLength };
  }
  return undefined;
}

/** True when `normaliseMsisdn` accepts the input. */
export function isValidMsisdn(input: string, defaultCountryCode = '41'): boolean {
  try {
    normaliseMsisdn(input, defaultCountryCode);
    return true;
  } catch {
    return false;
  }
}

/**
 * Mask a phone number for logs and error details: `+417******67`.
 * Keeps the first 4 characters of the `+`-form and the last 2 digits. Never throws.
 */
export function maskMsisdn(input: string): string {
  const digits = input.replace(/\D/g, '');
  const plus = `+${digits}`;
  if (digits.length < 7) return '+' + '*'.repeat(Math.max(digits.length, 1));
  return plus.slice(0, 4) + '*'.repeat(plus.length - 6) + plus.slice(-2);
}

/** Replace every run of 7+ digits in free text (e.g. a provider's fault detail) by its mask. */
export function redactPhoneNumbers(text: string): string {
  return text.replace(/\+?\d{7,}/g, (m) => maskMsisdn(m));
}
