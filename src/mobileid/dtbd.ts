/**
 * DataToBeDisplayed (DTBD): the text shown on the phone and signed by the user.
 *
 * Shape: `<AP prefix><localised question> (<transaction code>)`, e.g.
 * `ServiceCore: Log in to Tax portal? (K7QX3M)`. The web page shows the same code so the user
 * can tell our request from anybody else's (reference guide 4.1.1 item 6).
 *
 * Limits (4.1.1): at most 239 characters; at most 119 when any character is outside the GSM
 * 03.38 default alphabet. The guide does not say how extension-table characters (€ [ ] { } …)
 * count; we count them as the two septets they occupy, which can only make us stricter.
 * Outside GSM we count UTF-16 code units (UCS-2), so a character beyond the BMP counts twice.
 */
import { randomInt } from 'node:crypto';

import { localError } from './errors.js';
import { analyseGsm } from './gsm0338.js';

export type UserLang = 'EN' | 'DE' | 'FR' | 'IT';
export const USER_LANGS: readonly UserLang[] = ['EN', 'DE', 'FR', 'IT'];

export const DTBD_MAX_GSM = 239;
export const DTBD_MAX_NON_GSM = 119;

/** The login question per language; `{service}` is the name of the relying party. */
export const LOGIN_QUESTIONS: Readonly<Record<UserLang, string>> = {
  EN: 'Log in to {service}?',
  DE: 'Bei {service} anmelden?',
  FR: 'Se connecter à {service} ?',
  IT: 'Accedere a {service}?',
};

/** Letters and digits without the look-alikes 0/O, 1/I/L. */
export const TRANSACTION_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const TRANSACTION_CODE_PATTERN = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4,8}$/;
const ELLIPSIS = '...';

/** Map a page language (`de`, `de-CH`, `fr_CH`, `IT`) to the UserLang the MSSP accepts; default EN. */
export function userLangFor(pageLanguage: string | undefined): UserLang {
  const primary = (pageLanguage ?? '').trim().slice(0, 2).toUpperCase();
  return (USER_LANGS as readonly string[]).includes(primary) ? (primary as UserLang) : 'EN';
}

/** A fresh random transaction code, e.g. `K7QX3M` (4–8 characters, default 6). */
export function generateTransactionCode(length = 6): string {
  if (!Number.isInteger(length) || length < 4 || length > 8) {
    throw localError('invalid_dtbd', 500, 'transaction code length must be 4 to 8');
  }
  let code = '';
  for (let i = 0; i < length; i += 1) code += TRANSACTION_CODE_ALPHABET[randomInt(TRANSACTION_CODE_ALPHABET.length)];
  return code;
}

export interface DtbdMeasure {
  /** `gsm` when every character is in GSM 03.38 (basic or extension table). */
  alphabet: 'gsm' | 'ucs2';
  /** Length as the limit counts it (septets for GSM, UTF-16 units otherwise). */
  length: number;
  maxLength: number;
  ok: boolean;
  nonGsmCharacters: string[];
}

/** Measure a DTBD against the limits of reference guide 4.1.1. */
export function measureDtbd(text: string): DtbdMeasure {
  const gsm = analyseGsm(text);
  const alphabet = gsm.gsm ? 'gsm' : 'ucs2';
  const length = gsm.gsm ? gsm.septets : gsm.ucs2Units;
  const maxLength = gsm.gsm ? DTBD_MAX_GSM : DTBD_MAX_NON_GSM;
  return { alphabet, length, maxLength, ok: text.length > 0 && length <= maxLength, nonGsmCharacters: gsm.nonGsmCharacters };
}

/** Throw MobileIdError `invalid_dtbd` unless the text fits the limits. */
export function assertDtbd(text: string): DtbdMeasure {
  const m = measureDtbd(text);
  if (text.length === 0) throw localError('invalid_dtbd', 500, 'DTBD is empty');
  if (!m.ok) {
    const why =
      m.alphabet === 'gsm' ? 'GSM 03.38 text' : `text with characters outside GSM 03.38 (${m.nonGsmCharacters.slice(0, 5).join(' ')})`;
    throw localError('invalid_dtbd', 500, `DTBD has ${m.length} characters; ${why} allows ${m.maxLength}`);
  }
  return m;
}

export interface DtbdInput {
  /** The AP-specific prefix agreed with Swisscom, used verbatim (e.g. `ServiceCore: `). */
  prefix: string;
  /** Name of the relying party; shortened with "..." when the whole text would be too long. */
  service: string;
  /** Page language or UserLang; unknown languages fall back to English. */
  language: string | undefined;
  /** The code the page shows; generated when absent. */
  transactionCode?: string;
}

export interface Dtbd {
  text: string;
  userLang: UserLang;
  transactionCode: string;
  measure: DtbdMeasure;
}

function compose(prefix: string, lang: UserLang, service: string, code: string): string {
  return `${prefix}${LOGIN_QUESTIONS[lang].replace('{service}', service)} (${code})`;
}

/** Build the DTBD of a login; throws MobileIdError `invalid_dtbd` when it cannot fit. */
export function buildDtbd(input: DtbdInput): Dtbd {
  const userLang = userLangFor(input.language);
  const transactionCode = input.transactionCode ?? generateTransactionCode();
  if (!TRANSACTION_CODE_PATTERN.test(transactionCode)) {
    throw localError('invalid_dtbd', 500, 'transaction code must be 4 to 8 characters of the unambiguous alphabet');
  }
  const service = input.service.replace(/[\p{Cc}\p{Cf}\s]+/gu, ' ').trim();
  if (service === '') throw localError('invalid_dtbd', 500, 'service name is empty');

  const full = compose(input.prefix, userLang, service, transactionCode);
  const fullMeasure = measureDtbd(full);
  if (fullMeasure.ok) return { text: full, userLang, transactionCode, measure: fullMeasure };

  // Too long: shorten the service name, never the prefix (the MSSP matches it) nor the code.
  const chars = Array.from(service);
  for (let keep = chars.length - 1; keep >= 1; keep -= 1) {
    const text = compose(input.prefix, userLang, chars.slice(0, keep).join('').trimEnd() + ELLIPSIS, transactionCode);
    const measure = measureDtbd(text);
    if (measure.ok) return { text, userLang, transactionCode, measure };
  }
  throw localError(
    'invalid_dtbd',
    500,
    `DTBD cannot fit even with a shortened service name (${fullMeasure.length} > ${fullMeasure.maxLength}); check the prefix`,
  );
}

/** The receipt's text per language (3.4): shown on the phone once the login went through. */
export const RECEIPT_TEXTS: Readonly<Record<UserLang, string>> = {
  EN: 'You are logged in.',
  DE: 'Sie sind angemeldet.',
  FR: 'Vous êtes connecté.',
  IT: 'Accesso effettuato.',
};

/**
 * The text of an MSS Receipt: like every text sent to the phone it starts with the AP's prefix
 * (reference guide 2.1; without it Mobile ID answers fault 107) and keeps the DTBD's limits.
 */
export function buildReceiptText(input: { prefix: string; language: string | undefined }): string {
  const text = `${input.prefix}${RECEIPT_TEXTS[userLangFor(input.language)]}`;
  assertDtbd(text);
  return text;
}
