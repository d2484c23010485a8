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
/**
 * Countries whose numbers have one length after the country code: Switzerland (`41` and 9 digits,
 * also the documented test numbers), Liechtenstein (`423` and 7), the North American plan (`1` and 10).
 */
const NATIONAL_LENGTHS: Readonly<Record<string, number>> = { '41': 9, '423': 7, '1': 10 };
const NATIONAL_LENGTH_LIST = Object.entries(NATIONAL_LENGTHS);

/** Separators people type inside phone numbers. */
const SEPARATORS = /[\s\u00a0\u2000-\u200b\u202f.\-/()]/g;

function invalid(reason: string): MobileIdError {
  // The input itself never goes into the error: it may be a full phone number.
  return localError('invalid_msisdn', 400, `phone number refused: ${reason}`);
}

/**
 * Normalise a phone number as a person types it to the MSISDN form `41791234567`.
 *
 * Accepts the international form `+41 79 123 45 67` (also `+41 (0)79 123 45 67`), `0041791234567`,
 * and the national form `079 123 45 67` (prefixed with `defaultCountryCode`). Digits without any
 * prefix are taken only as a number of the default country written with its code
 * (`41791234567`, as the documented test numbers are); `79 123 45 67` is not guessed at. Anything
 * else throws MobileIdError `invalid_msisdn` (400), before anything is sent.
 */
export function normaliseMsisdn(input: string, defaultCountryCode = '41'): string {
  if (!/^[1-9]\d{0,2}$/.test(defaultCountryCode)) {
    throw invalid('default country calling code must be 1 to 3 digits');
  }
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
  } else if (compact.startsWith(defaultCountryCode) && NATIONAL_LENGTHS[defaultCountryCode] === compact.length - defaultCountryCode.length) {
    digits = compact;
  } else {
    throw invalid('without + or 00 and a country code, or a leading 0, the number is ambiguous');
  }
  return assertMsisdn(digits);
}

/**
 * Check a number already in MSISDN form (digits only, country code first, within E.164's length;
 * a stored number, checked again before each request to Mobile ID) and return it.
 */
export function assertMsisdn(digits: string): string {
  if (!/^\d+$/.test(digits)) throw invalid('not in MSISDN form (digits only)');
  if (!/^[1-9]/.test(digits)) throw invalid('country calling code cannot start with 0');
  if (digits.length < MIN_DIGITS) throw invalid('too short');
  if (digits.length > E164_MAX_DIGITS) throw invalid('longer than 15 digits (E.164)');
  const wrong = wrongNationalLength(digits);
  if (wrong) throw invalid(`numbers with country code +${wrong.cc} have ${wrong.nationalLength} digits after it`);
  return digits;
}

/**
 * For the requests to Mobile ID: a number in MSISDN form (a stored one) is checked as it is,
 * anything else is normalised as a person types it.
 */
export function toMsisdn(input: string, defaultCountryCode = '41'): string {
  return /^[1-9]\d*$/.test(input) ? assertMsisdn(input) : normaliseMsisdn(input, defaultCountryCode);
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
