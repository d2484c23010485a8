/**
 * Signed Freja eID results: the real JWS from Freja's TEST environment verify against the
 * configured signing certificates (chosen by x5t) and their chain; every tampered, expired,
 * replayed or foreign-key copy is rejected.
 */
import { describe, expect, it } from 'vitest';

import { FrejaError, FrejaTrust, interpretApprovedResult, parseFrejaPolicy, thumbprint, verifyFrejaJws } from '../../../src/verification/freja/index.js';
import { certificatesFromPem } from '../../../src/verification/freja/trust.js';
import { rejectionOf } from '../shared/errors.js';
import {
  AT_2022,
  AUTH_DECODED,
  AUTH_JWS,
  CERT_2LQ,
  CERT_DIZ,
  flipSignature,
  freshPki,
  signAs,
  SIGN_JWS,
  testTrust,
  TEST_CAS,
  trustOf,
  vectorText,
  withHeader,
  withPart,
  withPayload,
} from './freja-helpers.js';

async function rejected(promise: Promise<unknown>, detail: RegExp): Promise<FrejaError> {
  const err = await rejectionOf(FrejaError, promise);
  expect(err.code).toBe('jws_invalid');
  expect(err.messageKey).toBe('verification.freja.invalid_result');
  expect(err.detail).toMatch(detail);
  return err;
}

const POLICY = parseFrejaPolicy({ acceptedRegistrationLevels: ['EXTENDED', 'PLUS'], attributesToReturn: ['BASIC_USER_INFO', 'DATE_OF_BIRTH'] });

describe('the real Freja TEST results', () => {
  it('names its signer by x5t = base64url(SHA-1(DER)), as the file names say', () => {
    for (const file of [CERT_2LQ, CERT_DIZ]) {
      const [cert] = certificatesFromPem(vectorText(file));
      expect(file).toContain(`x5t-${thumbprint(cert!)}.pem`);
    }
  });

  it('verifies the authentication result (INFERRED, APPROVED) and yields its payload', async () => {
    const verified = await verifyFrejaJws(AUTH_JWS(), testTrust(), { now: AT_2022 });
    expect(verified.x5t).toBe('2LQIrINOzwWAVDhoYybqUcXXmVs');
    expect(verified.payload).toEqual(AUTH_DECODED().payload);
    expect(verified.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('verifies the signing-service result under the same certificate', async () => {
    const verified = await verifyFrejaJws(SIGN_JWS(), testTrust(), { now: new Date(1673959200389 + 1000) });
    expect(verified.payload.status).toBe('APPROVED');
    expect(verified.payload.signatureType).toBe('SIMPLE');
  });

  it('does not count a BASIC registration, even from a genuine result', async () => {
    const { payload } = await verifyFrejaJws(AUTH_JWS(), testTrust(), { now: AT_2022 });
    const expected = { authRef: String(payload.authRef), minRegistrationLevel: 'BASIC' as const, requestedAt: new Date(AT_2022.getTime() - 60_000), now: AT_2022 };
    const outcome = interpretApprovedResult(payload, expected, { ...POLICY, minRegistrationLevel: 'BASIC' });
    expect(outcome).toEqual({ ok: false, reason: 'level_too_low', messageKey: 'verification.freja.level_too_low', registrationLevel: 'BASIC' });
  });
});

describe('rejected copies', () => {
  const jws = AUTH_JWS;
  const header = () => AUTH_DECODED().header;
  const payload = () => AUTH_DECODED().payload;

  it('a changed payload', async () => {
    await rejected(verifyFrejaJws(withPayload(jws(), { ...payload(), minRegistrationLevel: 'PLUS' }), testTrust(), { now: AT_2022 }), /^signature:/);
    await rejected(verifyFrejaJws(withPayload(jws(), { ...payload(), authRef: 'someone-else' }), testTrust(), { now: AT_2022 }), /^signature:/);
  });

  it('a changed signature', async () => {
    await rejected(verifyFrejaJws(flipSignature(jws()), testTrust(), { now: AT_2022 }), /^signature:/);
    await rejected(verifyFrejaJws(withPart(jws(), 2, ''), testTrust(), { now: AT_2022 }), /^format:/);
  });

  it('a changed header: another algorithm, no x5t, an unknown critical extension', async () => {
    await rejected(verifyFrejaJws(withHeader(jws(), { ...header(), alg: 'none' }), testTrust(), { now: AT_2022 }), /^header: alg none/);
    await rejected(verifyFrejaJws(withHeader(jws(), { ...header(), alg: 'HS256' }), testTrust(), { now: AT_2022 }), /^header: alg HS256/);
    await rejected(verifyFrejaJws(withHeader(jws(), { ...header(), alg: 'PS256' }), testTrust(), { now: AT_2022 }), /^header: alg PS256/);
    await rejected(verifyFrejaJws(withHeader(jws(), { alg: 'RS256' }), testTrust(), { now: AT_2022 }), /^header: x5t/);
    await rejected(verifyFrejaJws(withHeader(jws(), { ...header(), crit: ['exp'], exp: 1 }), testTrust(), { now: AT_2022 }), /^header: crit/);
  });

  it('the x5t of another configured certificate (the signature is not its key)', async () => {
    await rejected(verifyFrejaJws(withHeader(jws(), { x5t: 'DiZbzBfysUm6-IwI-GtienEsbjc', alg: 'RS256' }), testTrust(), { now: new Date('2023-06-01T00:00:00Z') }), /^signature:/);
  });

  it('not a compact JWS at all', async () => {
    await rejected(verifyFrejaJws('not.a.jws!', testTrust(), { now: AT_2022 }), /^format:/);
    await rejected(verifyFrejaJws(`${jws()}.extra`, testTrust(), { now: AT_2022 }), /^format:/);
    await rejected(verifyFrejaJws(withPart(jws(), 0, 'bm90IGpzb24'), testTrust(), { now: AT_2022 }), /^format: the header/);
  });

  it('an expired signing certificate: the genuine result, read today', async () => {
    await rejected(verifyFrejaJws(jws(), testTrust(), { now: new Date() }), /^certificate: Freja eID TEST Org Signing is not valid/);
  });

  it('a certificate used before it was valid', async () => {
    await rejected(verifyFrejaJws(jws(), testTrust(), { now: new Date('2019-01-01T00:00:00Z') }), /^certificate: .* is not valid/);
  });

  it('a signing certificate that is not configured', async () => {
    await rejected(verifyFrejaJws(jws(), testTrust([CERT_DIZ]), { now: AT_2022 }), /^signer: no configured signing certificate has x5t 2LQ/);
  });

  it('a configured certificate whose chain is incomplete or leads to another root', async () => {
    await rejected(verifyFrejaJws(jws(), testTrust([CERT_2LQ], []), { now: AT_2022 }), /^chain: no configured CA issued Freja eID TEST Org Signing/);
    await rejected(verifyFrejaJws(jws(), testTrust([CERT_2LQ], [TEST_CAS[0]!]), { now: AT_2022 }), /^chain: no configured CA issued RSA TEST Issuing CA/);
    await rejected(verifyFrejaJws(jws(), testTrust([CERT_2LQ], ['certs/prod-Freja_eID_Root_CA_v1.pem']), { now: AT_2022 }), /^chain:/);
  });

  it('a foreign key claiming a configured certificate by its x5t', async () => {
    const foreign = await freshPki();
    const forged = await signAs(foreign, payload(), { x5t: '2LQIrINOzwWAVDhoYybqUcXXmVs', alg: 'RS256' });
    await rejected(verifyFrejaJws(forged, testTrust(), { now: AT_2022 }), /^signature:/);
  });

  it('a foreign key with its own (unconfigured) certificate', async () => {
    const foreign = await freshPki();
    const forged = await signAs(foreign, payload());
    await rejected(verifyFrejaJws(forged, testTrust(), { now: new Date() }), /^signer: no configured signing certificate/);
    // …and the very same JWS verifies once that certificate is trusted: the check is the trust, not the shape.
    const ok = await verifyFrejaJws(forged, trustOf(foreign), { now: new Date() });
    expect(ok.payload.authRef).toBe(payload().authRef);
  });

  it('the signing certificate configured as its own root is not a chain', async () => {
    const trust = FrejaTrust.fromPem([vectorText(CERT_2LQ)], [vectorText(CERT_2LQ)]);
    await rejected(verifyFrejaJws(jws(), trust, { now: AT_2022 }), /^chain:/);
  });
});

describe('a result that verifies but is not ours', () => {
  const payload = () => AUTH_DECODED().payload;
  const expected = () => ({ authRef: String(payload().authRef), minRegistrationLevel: 'BASIC' as const, requestedAt: new Date(AT_2022.getTime() - 60_000), now: AT_2022 });
  const basicPolicy = { ...POLICY, acceptedRegistrationLevels: ['EXTENDED' as const], minRegistrationLevel: 'BASIC' as const };

  it('is refused for another request (replayed into another authentication)', () => {
    expect(() => interpretApprovedResult(payload(), { ...expected(), authRef: 'our-own-reference' }, basicPolicy)).toThrow(/binding: the signed result is about another authentication/);
  });

  it('is refused when older than the policy allows (an expired result)', () => {
    const later = { ...expected(), now: new Date(AT_2022.getTime() + 301_000) };
    expect(() => interpretApprovedResult(payload(), later, basicPolicy)).toThrow(/time: the result is too old/);
  });

  it('is refused when approved before we asked (an earlier authentication replayed)', () => {
    const early = { ...expected(), requestedAt: new Date(AT_2022.getTime() + 120_000), now: new Date(AT_2022.getTime() + 130_000) };
    expect(() => interpretApprovedResult(payload(), early, basicPolicy)).toThrow(/time: approved before the request was made/);
  });

  it('is refused when the signed minimum level is not what we asked', () => {
    expect(() => interpretApprovedResult(payload(), { ...expected(), minRegistrationLevel: 'EXTENDED' }, POLICY)).toThrow(/binding: signed minRegistrationLevel BASIC/);
  });
});
