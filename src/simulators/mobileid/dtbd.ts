/**
 * DTBD length rules (reference guide 4.1.1): at most 239 characters, or 119 as soon as one
 * character is outside the GSM 03.38 default alphabet (e.g. the lowercase cedilla 'ç').
 */
import { DTBD_MAX_GSM, DTBD_MAX_UCS2 } from './constants.js';

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';
const GSM_CHARACTERS = new Set([...GSM_BASIC, ...GSM_EXTENSION]);

export function isGsmText(text: string): boolean {
  for (const ch of text) if (!GSM_CHARACTERS.has(ch)) return false;
  return true;
}

/** The maximum length for this text, and whether it is within it. */
export function checkDtbdLength(text: string): { length: number; max: number; ok: boolean } {
  const length = [...text].length;
  const max = isGsmText(text) ? DTBD_MAX_GSM : DTBD_MAX_UCS2;
  return { length, max, ok: length <= max };
}
