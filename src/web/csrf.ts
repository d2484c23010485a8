/**
 * CSRF tokens for our forms: an HMAC of the form's binding (an interaction uid, a session id)
 * under the cookie secret. Only the legitimate page knows the binding and the server the secret.
 */
import crypto from 'node:crypto';

export function csrfToken(secret: string, binding: string): string {
  return crypto.createHmac('sha256', secret).update(`csrf:${binding}`).digest('base64url');
}

export function checkCsrf(secret: string, binding: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const expected = Buffer.from(csrfToken(secret, binding));
  const actual = Buffer.from(presented);
  return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
}
