/**
 * The GSM 03.38 (3GPP TS 23.038) default alphabet, used to decide the DTBD length limit.
 *
 * Basic table characters take one septet; extension table characters are sent as ESC + char
 * and take two. Anything else forces the message into UCS-2.
 */

/** The 127 printable characters of the basic table (0x1B is the escape to the extension table). */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Extension table: form feed ^ { } \ [ ~ ] | € */
const EXTENSION = '\f^{}\\[~]|€';

const BASIC_SET: ReadonlySet<string> = new Set(BASIC);
const EXTENSION_SET: ReadonlySet<string> = new Set(EXTENSION);

/** True when the character is in the basic table. */
export function isGsmBasic(char: string): boolean {
  return BASIC_SET.has(char);
}

/** True when the character is in the extension table (counts as two septets). */
export function isGsmExtension(char: string): boolean {
  return EXTENSION_SET.has(char);
}

export interface GsmAnalysis {
  /** Every character is in the basic or the extension table. */
  gsm: boolean;
  /** Length in GSM septets (extension characters count 2); meaningful when `gsm` is true. */
  septets: number;
  /** Length in UTF-16 code units, i.e. UCS-2 characters (a character outside the BMP counts 2). */
  ucs2Units: number;
  /** The characters outside the GSM alphabet, once each, in order of appearance. */
  nonGsmCharacters: string[];
}

/** Measure a text against the GSM 03.38 default alphabet. */
export function analyseGsm(text: string): GsmAnalysis {
  let septets = 0;
  const nonGsm: string[] = [];
  for (const char of text) {
    if (BASIC_SET.has(char)) septets += 1;
    else if (EXTENSION_SET.has(char)) septets += 2;
    else if (!nonGsm.includes(char)) nonGsm.push(char);
  }
  return { gsm: nonGsm.length === 0, septets, ucs2Units: text.length, nonGsmCharacters: nonGsm };
}
