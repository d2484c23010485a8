/**
 * The cookie keys must sign exactly as Keygrip does (cookies set before stay valid, and the other
 * way round), accept a signature made with any of the keys, and refuse every other one.
 */
import http from 'node:http';

import Cookies from 'cookies';
import Keygrip from 'keygrip';
import { describe, expect, it } from 'vitest';

import { CookieKeys } from '../../../src/web/cookie-keys.js';

const SECRETS = ['current secret, long enough to be one', 'previous sécret'];

describe('CookieKeys', () => {
  const keys = new CookieKeys(SECRETS);
  const keygrip = new Keygrip(SECRETS);

  it('signs as Keygrip does', () => {
    for (const data of ['scl_session=abc', 'scl_interaction=Zm9v.YmFy; path=/', '', 'é=ü', 'x'.repeat(5000)]) {
      expect(keys.sign(data)).toBe(keygrip.sign(data));
    }
  });

  it('tells which key made a signature, and refuses any other signature', () => {
    const data = 'scl_resume=0123456789';
    const byPrevious = new Keygrip([SECRETS[1]!]).sign(data);
    expect(keys.index(data, keys.sign(data))).toBe(0);
    expect(keys.index(data, byPrevious)).toBe(1);
    expect(keys.verify(data, byPrevious)).toBe(true);
    expect(keys.index(data, new Keygrip(['another secret']).sign(data))).toBe(-1);
    expect(keys.index('scl_resume=0123456780', keys.sign(data))).toBe(-1);
    const signature = keys.sign(data);
    expect(keys.index(data, `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`)).toBe(-1);
    expect(keys.index(data, signature.slice(1))).toBe(-1);
    expect(keys.index(data, `${signature}=`)).toBe(-1);
    expect(keys.index(data, '')).toBe(-1);
    expect(keys.verify(data, undefined as unknown as string)).toBe(false);
  });

  it('needs at least one secret', () => {
    expect(() => new CookieKeys([])).toThrow(/at least one/);
  });

  it('reads the signed cookies a Keygrip set, and the other way round', () => {
    const roundTrip = (setWith: Keygrip | CookieKeys, readWith: Keygrip | CookieKeys) => {
      const res = new http.ServerResponse(new http.IncomingMessage(null as never));
      new Cookies({ headers: {} } as http.IncomingMessage, res, { keys: setWith as Keygrip, secure: false }).set('scl_session', 'value-1', { signed: true });
      const header = (res.getHeader('set-cookie') as string[]).map((c) => c.split(';')[0]).join('; ');
      return new Cookies({ headers: { cookie: header } } as http.IncomingMessage, res, { keys: readWith as Keygrip, secure: false }).get('scl_session', { signed: true });
    };
    expect(roundTrip(keygrip, keys)).toBe('value-1');
    expect(roundTrip(keys, keygrip)).toBe('value-1');
    expect(roundTrip(new Keygrip(['another secret']), keys)).toBeUndefined();
  });
});
