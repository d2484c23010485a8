import { describe, expect, it } from 'vitest';

import {
  assertDtbd,
  buildDtbd,
  DTBD_MAX_GSM,
  DTBD_MAX_NON_GSM,
  generateTransactionCode,
  LOGIN_QUESTIONS,
  measureDtbd,
  TRANSACTION_CODE_ALPHABET,
  userLangFor,
  USER_LANGS,
} from '../../../src/mobileid/dtbd.js';
import { MobileIdError } from '../../../src/mobileid/errors.js';
import { analyseGsm, isGsmBasic, isGsmExtension } from '../../../src/mobileid/gsm0338.js';

describe('GSM 03.38 default alphabet', () => {
  it('has 127 basic characters (plus ESC) and 10 extension characters', () => {
    const all = Array.from({ length: 0x10000 }, (_v, cp) => String.fromCharCode(cp));
    expect(all.filter(isGsmBasic)).toHaveLength(127);
    expect(all.filter(isGsmExtension)).toHaveLength(10);
    expect(all.filter((ch) => isGsmBasic(ch) && isGsmExtension(ch))).toEqual([]);
    expect(isGsmBasic('\u001b')).toBe(false);
  });

  it.each([
    ['Ç', true],
    ['ç', false],
    ['é', true],
    ['É', true],
    ['È', false],
    ['ä', true],
    ['Ä', true],
    ['ß', true],
    ['à', true],
    ['â', false],
    ['ê', false],
    ['ô', false],
    ['€', true],
    ['[', true],
    ['`', false],
    ['’', false],
    ['…', false],
    ['😀', false],
  ])('%s in GSM: %s', (ch, gsm) => {
    expect(analyseGsm(ch).gsm).toBe(gsm);
  });

  it('counts extension characters as two septets and non-BMP characters as two UCS-2 units', () => {
    expect(analyseGsm('a€[').septets).toBe(5);
    expect(analyseGsm('a😀').ucs2Units).toBe(3);
    expect(analyseGsm('ça ç').nonGsmCharacters).toEqual(['ç']);
  });
});

describe('DTBD length limits (4.1.1)', () => {
  it('allows 239 GSM characters, not 240', () => {
    expect(measureDtbd('a'.repeat(DTBD_MAX_GSM))).toMatchObject({ alphabet: 'gsm', length: 239, maxLength: 239, ok: true });
    expect(measureDtbd('a'.repeat(DTBD_MAX_GSM + 1)).ok).toBe(false);
    expect(DTBD_MAX_GSM).toBe(239);
  });

  it('allows 119 characters when one is outside GSM (e.g. ç), not 120', () => {
    expect(measureDtbd('ç' + 'a'.repeat(DTBD_MAX_NON_GSM - 1))).toMatchObject({ alphabet: 'ucs2', length: 119, maxLength: 119, ok: true });
    expect(measureDtbd('ç' + 'a'.repeat(DTBD_MAX_NON_GSM)).ok).toBe(false);
    expect(measureDtbd('a'.repeat(150)).ok).toBe(true);
    expect(measureDtbd('a'.repeat(149) + 'ç').ok).toBe(false);
    expect(DTBD_MAX_NON_GSM).toBe(119);
  });

  it('counts extension characters double against 239', () => {
    expect(measureDtbd('€'.repeat(119) + 'a').ok).toBe(true);
    expect(measureDtbd('€'.repeat(120)).ok).toBe(false);
  });

  it('counts an emoji as two characters against 119', () => {
    expect(measureDtbd('😀' + 'a'.repeat(117)).ok).toBe(true);
    expect(measureDtbd('😀' + 'a'.repeat(118)).ok).toBe(false);
  });

  it('assertDtbd throws invalid_dtbd with the numbers in the detail', () => {
    expect(() => assertDtbd('')).toThrow(MobileIdError);
    try {
      assertDtbd('ç'.repeat(120));
      throw new Error('not thrown');
    } catch (e) {
      expect(e).toMatchObject({ code: 'invalid_dtbd', messageKey: 'mobileid.error.invalid_dtbd' });
      expect((e as MobileIdError).detail).toMatch(/120 characters.*allows 119/);
    }
  });
});

describe('buildDtbd', () => {
  it.each([
    ['en', 'ServiceCore: Log in to Tax portal? (K7QX3M)', 'EN'],
    ['de-CH', 'ServiceCore: Bei Tax portal anmelden? (K7QX3M)', 'DE'],
    ['fr', 'ServiceCore: Se connecter à Tax portal ? (K7QX3M)', 'FR'],
    ['it_CH', 'ServiceCore: Accedere a Tax portal? (K7QX3M)', 'IT'],
    ['rm', 'ServiceCore: Log in to Tax portal? (K7QX3M)', 'EN'],
  ])('%s → %s', (language, text, userLang) => {
    const d = buildDtbd({ prefix: 'ServiceCore: ', service: 'Tax portal', language, transactionCode: 'K7QX3M' });
    expect(d.text).toBe(text);
    expect(d.userLang).toBe(userLang);
    expect(d.transactionCode).toBe('K7QX3M');
    expect(d.measure.alphabet).toBe('gsm');
  });

  it('keeps all four questions inside GSM 03.38 (so the long limit applies)', () => {
    for (const lang of USER_LANGS) expect(analyseGsm(LOGIN_QUESTIONS[lang]).gsm, lang).toBe(true);
  });

  it('generates a code the page can show', () => {
    const d = buildDtbd({ prefix: 'ACME: ', service: 'Portal', language: 'de' });
    expect(d.transactionCode).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$/);
    expect(d.text.endsWith(`(${d.transactionCode})`)).toBe(true);
    expect(TRANSACTION_CODE_ALPHABET).not.toMatch(/[0O1IL]/);
    const codes = new Set(Array.from({ length: 200 }, () => generateTransactionCode()));
    expect(codes.size).toBeGreaterThan(195);
    expect(generateTransactionCode(4)).toHaveLength(4);
    expect(() => generateTransactionCode(3)).toThrow(MobileIdError);
  });

  it('refuses a code outside the alphabet, an empty service', () => {
    expect(() => buildDtbd({ prefix: '', service: 'x', language: 'en', transactionCode: 'K7QX0M' })).toThrow(MobileIdError);
    expect(() => buildDtbd({ prefix: '', service: ' \n\t ', language: 'en' })).toThrow(MobileIdError);
  });

  it('collapses control characters in the service name', () => {
    expect(buildDtbd({ prefix: 'P: ', service: 'Tax\nportal\u200b ', language: 'en', transactionCode: 'AAAA' }).text).toBe('P: Log in to Tax portal? (AAAA)');
  });

  it('shortens a long service name to fit 239, never the prefix or the code', () => {
    const d = buildDtbd({ prefix: 'ServiceCore: ', service: 'S'.repeat(400), language: 'en', transactionCode: 'K7QX3M' });
    expect(d.measure.length).toBe(239);
    expect(d.text).toMatch(/^ServiceCore: Log in to S+\.\.\.\? \(K7QX3M\)$/);
  });

  it('shortens to 119 when the service name is not GSM', () => {
    const d = buildDtbd({ prefix: 'ServiceCore: ', service: 'Façade ' + 'x'.repeat(200), language: 'fr', transactionCode: 'K7QX3M' });
    expect(d.measure).toMatchObject({ alphabet: 'ucs2', length: 119, ok: true });
    expect(d.text).toMatch(/^ServiceCore: Se connecter à Façade x+\.\.\. \? \(K7QX3M\)$/);
  });

  it('throws when the prefix alone is too long', () => {
    expect(() => buildDtbd({ prefix: 'P'.repeat(230), service: 'Portal', language: 'en' })).toThrow(expect.objectContaining({ code: 'invalid_dtbd' }));
  });
});

describe('userLangFor', () => {
  it.each([
    ['de', 'DE'],
    ['de-CH', 'DE'],
    ['fr_CH', 'FR'],
    ['IT', 'IT'],
    ['en-GB', 'EN'],
    ['es', 'EN'],
    ['', 'EN'],
    [undefined, 'EN'],
  ])('%s → %s', (page, lang) => {
    expect(userLangFor(page)).toBe(lang);
  });
});
