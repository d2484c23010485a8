/**
 * The counter's references: the QR code's signed token (case id, jti, expiry, nothing else), the
 * short code typed at the desk, and the HMAC links of the document and the offer.
 */
import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';

import {
  checkDocumentMac,
  checkOfferMac,
  counterKeys,
  documentMac,
  formatShortCode,
  newShortCode,
  normaliseShortCode,
  offerMac,
  parseDeskInput,
  SHORT_CODE_ALPHABET,
  signReference,
  verifyReference,
} from '../../../src/verification/manual/reference.js';

const keys = counterKeys('a-key-encryption-key-of-at-least-32-characters');
const CASE = '0b6f5d2e-8f57-4c38-9d0f-1e6f2c9a7b11';
const later = new Date(Date.now() + 30 * 86_400_000);

describe('the QR code reference', () => {
  it('carries only the case id, a jti and the expiry, signed with HS256', async () => {
    const token = await signReference(keys, { caseId: CASE, jti: 'j1', expiresAt: later });
    expect(Object.keys(decodeJwt(token)).sort()).toEqual(['exp', 'jti', 'sub']);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'scl-counter+jwt' });
    expect(await verifyReference(keys, token)).toEqual({ ok: true, caseId: CASE, jti: 'j1' });
  });

  it('is refused once expired, when tampered with, signed with another key or unsigned', async () => {
    const token = await signReference(keys, { caseId: CASE, jti: 'j1', expiresAt: later });
    expect(await verifyReference(keys, token, new Date(later.getTime() + 1000))).toEqual({ ok: false, reason: 'expired' });

    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: CASE, jti: 'j2', exp: Math.floor(later.getTime() / 1000) })).toString('base64url');
    expect(await verifyReference(keys, `${h}.${forged}.${s}`)).toEqual({ ok: false, reason: 'invalid' });

    const other = counterKeys('another-key-encryption-key-of-32-characters!');
    expect(await verifyReference(other, token)).toEqual({ ok: false, reason: 'invalid' });

    const unsigned = new UnsecuredJWT({}).setSubject(CASE).setJti('j1').setExpirationTime('1d').encode();
    expect(await verifyReference(keys, unsigned)).toEqual({ ok: false, reason: 'invalid' });

    const wrongType = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(CASE).setJti('j1').setExpirationTime('1d').sign(keys.reference);
    expect(await verifyReference(keys, wrongType)).toEqual({ ok: false, reason: 'invalid' });

    const notACase = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'scl-counter+jwt' }).setSubject('Anna Muster').setJti('j1').setExpirationTime('1d').sign(keys.reference);
    expect(await verifyReference(keys, notACase)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('derives a different key per purpose', () => {
    expect(Buffer.from(keys.reference).equals(keys.document)).toBe(false);
    expect(keys.document.equals(keys.offer)).toBe(false);
  });
});

describe('the short code', () => {
  it('has 8 characters without look-alikes', () => {
    expect(SHORT_CODE_ALPHABET).toHaveLength(32);
    expect(SHORT_CODE_ALPHABET).not.toMatch(/[01IO]/);
    const codes = new Set(Array.from({ length: 500 }, () => newShortCode()));
    expect(codes.size).toBe(500);
    for (const code of codes) expect(code).toMatch(/^[2-9A-HJ-NP-Z]{8}$/);
  });

  it('is accepted as typed: lower case, with hyphen or spaces', () => {
    expect(normaliseShortCode('abcd-efgh')).toBe('ABCDEFGH');
    expect(normaliseShortCode(' AB CD EF GH ')).toBe('ABCDEFGH');
    expect(normaliseShortCode('ABCD-EFG')).toBeUndefined();
    expect(normaliseShortCode('ABCD-EFG0')).toBeUndefined();
    expect(normaliseShortCode('ABCD-EFGO')).toBeUndefined();
    expect(formatShortCode('ABCDEFGH')).toBe('ABCD-EFGH');
  });

  it('tells a scanned URL, a bare token and a typed code apart', () => {
    expect(parseDeskInput('https://login.example.ch/admin/desk/scan?t=aaa.bbb.ccc')).toEqual({ token: 'aaa.bbb.ccc' });
    expect(parseDeskInput(' aaa.bbb.ccc ')).toEqual({ token: 'aaa.bbb.ccc' });
    expect(parseDeskInput('wxyz-2345')).toEqual({ shortCode: 'WXYZ2345' });
    expect(parseDeskInput('')).toBeUndefined();
    expect(parseDeskInput('not a code')).toBeUndefined();
  });
});

describe('the document link and the offer', () => {
  it('accept only their own HMAC', () => {
    const mac = documentMac(keys, CASE);
    expect(mac).toMatch(/^[\w-]{43}$/);
    expect(checkDocumentMac(keys, CASE, mac)).toBe(true);
    expect(checkDocumentMac(keys, CASE, `${mac.slice(0, -1)}A` === mac ? `${mac.slice(0, -1)}B` : `${mac.slice(0, -1)}A`)).toBe(false);
    expect(checkDocumentMac(keys, CASE, undefined)).toBe(false);
    expect(checkDocumentMac(keys, '../etc/passwd', mac)).toBe(false);

    const offer = offerMac(keys, 'uid-1', CASE);
    expect(checkOfferMac(keys, 'uid-1', CASE, offer)).toBe(true);
    expect(checkOfferMac(keys, 'uid-2', CASE, offer)).toBe(false);
    expect(checkOfferMac(keys, 'uid-1', CASE, mac)).toBe(false);
  });
});
