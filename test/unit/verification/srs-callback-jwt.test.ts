import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

import { CallbackVerifier, keySources, type ReplayStore } from '../../../src/verification/srs/callback-jwt.js';
import { SrsError } from '../../../src/verification/srs/errors.js';
import { rejectionOf } from '../shared/errors.js';

const ISSUER = 'urn:test:srs-isp';
const AUDIENCE = 'https://login.example.ch/callbacks/srs';
const NOW = new Date('2026-11-23T10:00:00Z');
const iat = Math.floor(NOW.getTime() / 1000);

let partner: { privateKey: CryptoKey; jwk: JWK };
let foreign: { privateKey: CryptoKey };

function memoryReplay(): ReplayStore & { seen: Set<string> } {
  const seen = new Set<string>();
  return {
    seen,
    async remember(jti) {
      if (seen.has(jti)) return false;
      seen.add(jti);
      return true;
    },
  };
}

function verifier(replay: ReplayStore = memoryReplay()) {
  return new CallbackVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: [createLocalJWKSet({ keys: [partner.jwk] })], replay, now: () => NOW });
}

interface Sign {
  key?: CryptoKey;
  kid?: string;
  claims?: Record<string, unknown>;
  iss?: string;
  aud?: string;
  iat?: number;
  exp?: number;
  jti?: string | null;
}

async function sign(o: Sign = {}): Promise<string> {
  const jwt = new SignJWT({ refId: '5c327977-a154-4747-b99d-c0733f7007c5', status: 'Data Ready', identificationData: { firstName: 'Hans', lastName: 'Muster', dob: '1978-02-28', nationality: 'ch' }, evidenceId: 'RAS5b45b027c6d9370008072c48', ...o.claims })
    .setProtectedHeader({ alg: 'ES256', kid: o.kid ?? 'partner-1' })
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? AUDIENCE)
    .setIssuedAt(o.iat ?? iat)
    .setExpirationTime(o.exp ?? iat + 300);
  if (o.jti !== null) jwt.setJti(o.jti ?? crypto.randomUUID());
  return jwt.sign(o.key ?? partner.privateKey);
}

async function refusal(token: string, v = verifier()): Promise<string> {
  return (await rejectionOf(SrsError, v.verify(token))).code;
}

beforeAll(async () => {
  const p = await generateKeyPair('ES256', { extractable: true });
  partner = { privateKey: p.privateKey, jwk: { ...(await exportJWK(p.publicKey)), kid: 'partner-1', alg: 'ES256' } };
  foreign = { privateKey: (await generateKeyPair('ES256')).privateKey };
});

describe('SRS callback JWT', () => {
  it('accepts a JWT of the partner and reads status and identity data', async () => {
    const claims = await verifier().verify(await sign({ jti: 'callback-0001' }));
    expect(claims).toEqual({
      jti: 'callback-0001',
      refId: '5c327977-a154-4747-b99d-c0733f7007c5',
      status: 'data_ready',
      identity: { givenNames: 'Hans', familyName: 'Muster', birthDate: '1978-02-28', nationality: 'CH' },
      evidenceId: 'RAS5b45b027c6d9370008072c48',
      expiresAt: new Date((iat + 300) * 1000),
    });
  });

  it('refuses a tampered payload', async () => {
    const [h, , s] = (await sign()).split('.');
    const forged = Buffer.from(JSON.stringify({ refId: 'x', status: 'Data Ready', iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 300, jti: 'forged-0001' })).toString('base64url');
    expect(await refusal(`${h}.${forged}.${s}`)).toBe('callback_invalid');
  });

  it('refuses a tampered signature', async () => {
    const token = await sign();
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    expect(await refusal(`${token.slice(0, -2)}${last}${token.at(-1)}`)).toBe('callback_invalid');
  });

  it('refuses a copy signed with a foreign key, even under the partner kid', async () => {
    expect(await refusal(await sign({ key: foreign.privateKey }))).toBe('callback_invalid');
    expect(await refusal(await sign({ key: foreign.privateKey, kid: 'other' }))).toBe('callback_invalid');
  });

  it('refuses an expired JWT, and one issued in the future', async () => {
    expect(await refusal(await sign({ iat: iat - 600, exp: iat - 60 }))).toBe('callback_expired');
    expect(await refusal(await sign({ iat: iat + 600, exp: iat + 900 }))).toBe('callback_expired');
  });

  it('refuses a replayed JWT (same jti), even with a fresh verifier sharing the store', async () => {
    const replay = memoryReplay();
    const token = await sign();
    await verifier(replay).verify(token);
    expect(await refusal(token, verifier(replay))).toBe('callback_replayed');
    expect(await refusal(await sign({ jti: [...replay.seen][0]! }), verifier(replay))).toBe('callback_replayed');
  });

  it('refuses another issuer or audience, a missing jti or refId, and lifetimes over an hour', async () => {
    expect(await refusal(await sign({ iss: 'urn:someone:else' }))).toBe('callback_invalid');
    expect(await refusal(await sign({ aud: 'https://other.example.ch/callbacks/srs' }))).toBe('callback_invalid');
    expect(await refusal(await sign({ jti: null }))).toBe('callback_invalid');
    expect(await refusal(await sign({ claims: { refId: undefined } }))).toBe('callback_invalid');
    expect(await refusal(await sign({ exp: iat + 7200 }))).toBe('callback_invalid');
  });

  it('refuses unsigned and symmetric JWTs', async () => {
    const body = Buffer.from(JSON.stringify({ refId: 'r', iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 60, jti: 'none-00001' })).toString('base64url');
    expect(await refusal(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`)).toBe('callback_invalid');
    const hs = await new SignJWT({ refId: 'r' }).setProtectedHeader({ alg: 'HS256', kid: 'partner-1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt(iat).setExpirationTime(iat + 60).setJti('hs-000001').sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await refusal(hs)).toBe('callback_invalid');
    expect(await refusal('not a jwt')).toBe('callback_invalid');
  });

  it('reads the key from a PEM file (public key or certificate) too', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srs-key-'));
    try {
      const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const file = path.join(dir, 'partner.pem');
      fs.writeFileSync(file, publicKey.export({ type: 'spki', format: 'pem' }));
      const v = new CallbackVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: keySources({ keyFile: file, timeoutMs: 1000 }), replay: memoryReplay(), now: () => NOW });
      const token = await sign({ key: privateKey as unknown as CryptoKey });
      await expect(v.verify(token)).resolves.toMatchObject({ status: 'data_ready' });
      expect(await refusal(await sign(), v)).toBe('callback_invalid');
      expect(() => keySources({ keyFile: path.join(dir, 'missing.pem'), timeoutMs: 1000 })).toThrow(/SRS_CALLBACK_KEY_FILE/);
      expect(() => keySources({ timeoutMs: 1000 })).toThrow(/SRS_CALLBACK_JWKS_URL or SRS_CALLBACK_KEY_FILE/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
