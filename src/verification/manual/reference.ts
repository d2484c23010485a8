/**
 * What identifies a counter case outside our pages, and nothing more:
 * - the QR code's signed reference: a compact JWS (HS256) whose claims are only the case id
 *   (`sub`), a random `jti` and the expiry (`exp`). No name, no date of birth. Single use is
 *   enforced by the case row (a decided case refuses its reference), not by the token.
 * - the short code for the desk's "type the code" field: 8 characters of an alphabet without
 *   look-alikes (no 0/O, no 1/I), shown as XXXX-XXXX.
 * - the unguessable link of the printable document, and the offer that lets a login start a case:
 *   HMACs over the case id, respectively the interaction and account.
 * The keys are derived with HKDF from KEY_ENCRYPTION_KEY, one per purpose.
 */
import crypto from 'node:crypto';

import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

export interface CounterKeys {
  reference: Uint8Array;
  document: Buffer;
  offer: Buffer;
}

const TOKEN_TYPE = 'scl-counter+jwt';

function derive(secret: string, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('servicecore-login counter', 'utf8'), Buffer.from(purpose, 'utf8'), 32));
}

export function counterKeys(keyEncryptionKey: string): CounterKeys {
  return {
    reference: new Uint8Array(derive(keyEncryptionKey, 'qr reference v1')),
    document: derive(keyEncryptionKey, 'document link v1'),
    offer: derive(keyEncryptionKey, 'start offer v1'),
  };
}

/** The QR code's reference to a case. */
export async function signReference(keys: CounterKeys, ref: { caseId: string; jti: string; expiresAt: Date }): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: TOKEN_TYPE })
    .setSubject(ref.caseId)
    .setJti(ref.jti)
    .setExpirationTime(Math.floor(ref.expiresAt.getTime() / 1000))
    .sign(keys.reference);
}

export type ReferenceCheck = { ok: true; caseId: string; jti: string } | { ok: false; reason: 'invalid' | 'expired' };

export async function verifyReference(keys: CounterKeys, token: string, now: Date = new Date()): Promise<ReferenceCheck> {
  try {
    const { payload } = await jwtVerify(token, keys.reference, {
      algorithms: ['HS256'],
      typ: TOKEN_TYPE,
      requiredClaims: ['sub', 'jti', 'exp'],
      currentDate: now,
      clockTolerance: 0,
    });
    if (!isUuid(payload.sub) || typeof payload.jti !== 'string') return { ok: false, reason: 'invalid' };
    return { ok: true, caseId: payload.sub!, jti: payload.jti };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: 'expired' };
    return { ok: false, reason: 'invalid' };
  }
}

export function newJti(): string {
  return crypto.randomBytes(16).toString('base64url');
}

// ------------------------------------------------------------------------------ short code

/** 32 symbols: digits 2-9 and A-Z without I and O, so each character is 5 random bits. */
export const SHORT_CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

export function newShortCode(): string {
  return [...crypto.randomBytes(8)].map((byte) => SHORT_CODE_ALPHABET[byte & 31]).join('');
}

/** The stored form of a typed code (upper case, separators dropped), or undefined when it cannot be one. */
export function normaliseShortCode(input: string): string | undefined {
  const code = input.toUpperCase().replace(/[\s\-–.]/g, '');
  if (code.length !== 8) return undefined;
  return [...code].every((c) => SHORT_CODE_ALPHABET.includes(c)) ? code : undefined;
}

export function formatShortCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * What the desk's field received: the URL the QR code holds (…/admin/desk/scan?t=…), the bare
 * token (a hand scanner that types what it reads), or a typed short code.
 */
export function parseDeskInput(input: string): { token: string } | { shortCode: string } | undefined {
  const text = input.trim();
  if (!text || text.length > 2048) return undefined;
  const fromUrl = /[?&]t=([\w-]+\.[\w-]+\.[\w-]+)/.exec(text);
  if (fromUrl) return { token: fromUrl[1]! };
  if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(text)) return { token: text };
  const shortCode = normaliseShortCode(text);
  return shortCode ? { shortCode } : undefined;
}

// ------------------------------------------------------------------------------ document link and offer

function mac(key: Buffer, message: string): string {
  return crypto.createHmac('sha256', key).update(message).digest('base64url');
}

function sameMac(expected: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length !== expected.length) return false;
  return crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(presented));
}

/** The secret part of the printable document's link. */
export function documentMac(keys: CounterKeys, caseId: string): string {
  return mac(keys.document, `document:${caseId}`);
}

export function checkDocumentMac(keys: CounterKeys, caseId: string, presented: unknown): boolean {
  return isUuid(caseId) && sameMac(documentMac(keys, caseId), presented);
}

/** Given when the step-up page offered the counter to this login; required to start a case. */
export function offerMac(keys: CounterKeys, interactionUid: string, accountId: string): string {
  return mac(keys.offer, `offer:${interactionUid}:${accountId}`);
}

export function checkOfferMac(keys: CounterKeys, interactionUid: string, accountId: string, presented: unknown): boolean {
  return sameMac(offerMac(keys, interactionUid, accountId), presented);
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
