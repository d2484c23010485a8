/**
 * The keys that sign cookies (COOKIE_SECRETS), in the form Koa's `cookies` module asks of them:
 * Keygrip's `sign`, `verify` and `index`. The signatures are Keygrip's own (HMAC-SHA1 of
 * `name=value`, base64url without padding, made with the first key; any key is accepted), so a
 * cookie signed before stays valid. Two things cost less than with a Keygrip made from the list:
 * - the list is turned into keys once; given as an array, `cookies` makes a new Keygrip for every
 *   request;
 * - a signature is checked with one HMAC per key and a constant-time comparison of the bytes;
 *   Keygrip compares through tsscmp, which computes two more HMACs for every comparison.
 */
import crypto from 'node:crypto';

export class CookieKeys {
  private readonly keys: readonly Buffer[];

  constructor(secrets: readonly string[]) {
    if (!secrets.length) throw new Error('at least one cookie secret is needed');
    this.keys = secrets.map((secret) => Buffer.from(secret, 'utf8'));
  }

  /** The signature of `data` with the first key. */
  sign(data: string): string {
    return signature(data, this.keys[0]!);
  }

  verify(data: string, digest: string): boolean {
    return this.index(data, digest) > -1;
  }

  /** Which key made `digest` for `data`: its position in the list, or -1 for none. */
  index(data: string, digest: string): number {
    const given = Buffer.from(String(digest), 'utf8');
    for (const [i, key] of this.keys.entries()) {
      const expected = Buffer.from(signature(data, key), 'utf8');
      if (expected.length === given.length && crypto.timingSafeEqual(expected, given)) return i;
    }
    return -1;
  }
}

const signature = (data: string, key: Buffer): string => crypto.createHmac('sha1', key).update(data).digest('base64url');
