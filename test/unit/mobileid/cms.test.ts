import { describe, expect, it } from 'vitest';

import { CertificateStore, defaultTrustAnchors } from '../../../src/mobileid/certificates.js';
import { verifyCmsSignature, type VerifyCmsOptions } from '../../../src/mobileid/cms.js';
import { MobileIdError } from '../../../src/mobileid/errors.js';
import { processStatusResponse, processSignatureResponse } from '../../../src/mobileid/responses.js';
import { rejectionOf } from '../shared/errors.js';
import {
  fixtureBytes,
  fixtureCms,
  fixtureJson,
  fixtureText,
  flipByte,
  indexOfBytes,
  issue,
  lastIndexOfBytes,
  signCms,
  type Issued,
} from './helpers.js';

const POSTMAN_DTBD = 'Test: Sign in from Postman?';
const RECORDED_AT = new Date('2024-07-02T08:05:00Z');
const root4 = () => CertificateStore.fromPem(fixtureText('certs/Swisscom_Root_CA_4.pem'));
const root2 = () => CertificateStore.fromPem(fixtureText('certs/Swisscom_Root_CA_2.pem'));
const swissSign = () => CertificateStore.fromPem(fixtureText('certs/SwissSign_Gold_CA_-_G2.pem'));

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** Expect a `signature_invalid` rejection whose detail names the failed check. */
async function expectInvalid(promise: Promise<unknown>, detail: RegExp): Promise<MobileIdError> {
  const e = await rejectionOf(MobileIdError, promise);
  expect(e.code).toBe('signature_invalid');
  expect(e.status).toBe(502);
  expect(e.messageKey).toBe('mobileid.error.signature_invalid');
  expect(e.detail).toMatch(detail);
  return e;
}

const postman = (overrides: Partial<VerifyCmsOptions> = {}): VerifyCmsOptions => ({
  expectedDtbd: POSTMAN_DTBD,
  trustAnchors: root4(),
  now: RECORDED_AT,
  ...overrides,
});

describe('real Mobile ID signatures (Postman 2024, EC P-256 under Swisscom Root CA 4)', () => {
  it.each(['postman-2024-ec-rubin4-sign.b64', 'postman-2024-ec-rubin4-status.b64'])('%s verifies on 2024-07-02', async (name) => {
    const result = await verifyCmsSignature(fixtureCms(name), postman());
    expect(result.content).toBe(POSTMAN_DTBD);
    expect(result.mobileIdSerial).toBe('MIDCHEO16P1O6E92');
    expect(result.signer.subjectSerialNumber).toBe('MIDCHEO16P1O6E92');
    expect(result.signer.commonName).toBe('MIDCHEO16P1O6E92:PN');
    expect(result.signer.issuerCommonName).toBe('Swisscom Rubin CA 4');
    expect(result.signer.keyType).toBe('EC P-256');
    expect(result.signer.notBefore.toISOString()).toBe('2023-01-23T09:50:03.000Z');
    expect(result.signer.notAfter.toISOString()).toBe('2026-01-22T09:50:02.000Z');
    expect(result.digestAlgorithm).toBe('SHA-256');
    expect(result.signatureAlgorithm).toBe('ecdsa-with-SHA256');
    expect(result.chain).toHaveLength(3);
    expect(result.chain[1]).toContain('CN=Swisscom Rubin CA 4');
    expect(result.chain[2]).toContain('CN=Swisscom Root CA 4');
  });

  it('is BER with indefinite lengths, and that is accepted', () => {
    const der = fixtureBytes('cms/postman-2024-ec-rubin4-sign.der');
    expect([der[0], der[1]]).toEqual([0x30, 0x80]);
    expect(b64(der)).toBe(fixtureCms('postman-2024-ec-rubin4-sign.b64'));
  });

  it('verifies with the default trust anchors (Swisscom Root CA 2 and 4)', async () => {
    expect(defaultTrustAnchors().subjects().join(' | ')).toMatch(/Swisscom Root CA 2.*Swisscom Root CA 4/);
    const result = await verifyCmsSignature(fixtureCms('postman-2024-ec-rubin4-sign.b64'), { expectedDtbd: POSTMAN_DTBD, now: RECORDED_AT });
    expect(result.mobileIdSerial).toBe('MIDCHEO16P1O6E92');
  });

  it('verifies straight from the recorded sync signature and status responses', async () => {
    for (const file of ['rest-responses/sign-sync-500-SIGNATURE-ec-geofencing.json', 'rest-responses/status-500-SIGNATURE-ec-geofencing.json']) {
      const json = fixtureJson(file);
      const parsed = file.includes('sign-sync') ? processSignatureResponse(200, json) : processStatusResponse(200, json);
      if (parsed.state !== 'signed') throw new Error('expected a signature');
      const result = await verifyCmsSignature(parsed.base64Signature, postman());
      expect(result.mobileIdSerial).toBe('MIDCHEO16P1O6E92');
      expect(parsed.msisdn).toBe('41700092501');
    }
  });

  it('is rejected at today\'s clock: the signer certificate expired on 2026-01-22', async () => {
    await expectInvalid(
      verifyCmsSignature(fixtureCms('postman-2024-ec-rubin4-sign.b64'), { expectedDtbd: POSTMAN_DTBD, trustAnchors: root4() }),
      /^certificate: signer certificate expired on 2026-01-22T09:50:02/,
    );
  });

  it('is rejected before the signer certificate was issued', async () => {
    await expectInvalid(
      verifyCmsSignature(fixtureCms('postman-2024-ec-rubin4-sign.b64'), postman({ now: new Date('2022-12-31T00:00:00Z') })),
      /^certificate: signer certificate not valid before/,
    );
  });

  it('is rejected for another DTBD (one character different, or an empty one)', async () => {
    const blob = fixtureCms('postman-2024-ec-rubin4-sign.b64');
    await expectInvalid(verifyCmsSignature(blob, postman({ expectedDtbd: 'Test: Sign in from Postman!' })), /^content:/);
    await expectInvalid(verifyCmsSignature(blob, postman({ expectedDtbd: 'Test: Sign in from Postman? ' })), /^content:/);
    await expectInvalid(verifyCmsSignature(blob, postman({ expectedDtbd: '' })), /^content:/);
  });

  it.each([
    ['Swisscom Root CA 2', root2],
    ['SwissSign Gold CA - G2', swissSign],
  ])('is rejected when %s is the only trust anchor', async (_name, anchors) => {
    await expectInvalid(verifyCmsSignature(fixtureCms('postman-2024-ec-rubin4-sign.b64'), postman({ trustAnchors: anchors() })), /^chain:/);
  });

  it('is rejected when the only anchor is a fake root with the same name as Swisscom Root CA 4', async () => {
    const fake = await issue({ commonName: 'Swisscom Root CA 4', keyKind: 'ec', ca: true });
    fake.cert.subject = root4().certificates[0]!.subject;
    await expectInvalid(
      verifyCmsSignature(fixtureCms('postman-2024-ec-rubin4-sign.b64'), postman({ trustAnchors: new CertificateStore([fake.cert]) })),
      /^chain:/,
    );
  });

  it('is rejected without any trust anchor', async () => {
    await expectInvalid(verifyCmsSignature(fixtureCms('postman-2024-ec-rubin4-sign.b64'), postman({ trustAnchors: new CertificateStore([]) })), /^chain: no trust anchors/);
  });
});

describe('tampered copies of the real signature', () => {
  const der = fixtureBytes('cms/postman-2024-ec-rubin4-sign.der');

  it('control: the untouched bytes verify', async () => {
    await expect(verifyCmsSignature(b64(der), postman())).resolves.toMatchObject({ mobileIdSerial: 'MIDCHEO16P1O6E92' });
  });

  it('one changed byte in the content: refused as another DTBD', async () => {
    const tampered = flipByte(der, indexOfBytes(der, 'Test: Sign'));
    expect(tampered.toString('latin1')).toContain('Uest: Sign in from Postman?');
    await expectInvalid(verifyCmsSignature(b64(tampered), postman()), /^content:/);
  });

  it('one changed byte in the content, expecting exactly that text: the messageDigest no longer matches', async () => {
    const tampered = flipByte(der, indexOfBytes(der, 'Test: Sign'));
    await expectInvalid(verifyCmsSignature(b64(tampered), postman({ expectedDtbd: 'Uest: Sign in from Postman?' })), /^attributes: messageDigest/);
  });

  it('one changed byte in the signed attributes (the random nonce): the signature fails', async () => {
    const nonceOid = Uint8Array.from([0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x19, 0x03]);
    const at = indexOfBytes(der, nonceOid) + nonceOid.length + 4 + 3; // SET, OCTET STRING header, 4th byte of the value
    await expectInvalid(verifyCmsSignature(b64(flipByte(der, at)), postman()), /^signature:/);
  });

  it('one changed byte in the messageDigest attribute: refused', async () => {
    const mdOid = Uint8Array.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04]);
    const at = indexOfBytes(der, mdOid) + mdOid.length + 4 + 5;
    await expectInvalid(verifyCmsSignature(b64(flipByte(der, at)), postman()), /^attributes: messageDigest/);
  });

  it('one changed byte in the signature value: the signature fails', async () => {
    const ecdsaSha256 = Uint8Array.from([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);
    const at = lastIndexOfBytes(der, ecdsaSha256) + ecdsaSha256.length + 2 + 2 + 2 + 2 + 1 + 3; // NULL, OCTET STRING, SEQUENCE, INTEGER, 0x00, into r
    await expectInvalid(verifyCmsSignature(b64(flipByte(der, at)), postman()), /^signature:/);
  });

  it('one changed byte in the embedded user certificate (its CRL URL): the chain fails', async () => {
    const at = indexOfBytes(der, 'sdcs-rubin4.crl');
    await expectInvalid(verifyCmsSignature(b64(flipByte(der, at)), postman()), /^chain:/);
  });

  it('one changed byte in the embedded intermediate (Swisscom Rubin CA 4): the chain fails', async () => {
    // The CA certificate's own CRL URL is the second "sdcs-root4.crl" only inside Rubin CA 4.
    const at = indexOfBytes(der, 'sdcs-root4.crl');
    await expectInvalid(verifyCmsSignature(b64(flipByte(der, at)), postman()), /^chain:/);
  });

  it('truncated or garbage input: refused as format errors', async () => {
    await expectInvalid(verifyCmsSignature(b64(der.subarray(0, 2000)), postman()), /^format:/);
    await expectInvalid(verifyCmsSignature('not base64 at all!', postman()), /^format: Base64Signature is not Base64/);
    await expectInvalid(verifyCmsSignature('', postman()), /^format: Base64Signature is empty/);
    await expectInvalid(verifyCmsSignature(b64(Buffer.from('Lorem ipsum dolor sit amet')), postman()), /^format:/);
    const placeholder = processStatusResponse(200, fixtureJson('client-java-samples/rest-response-status-signature.json'));
    if (placeholder.state !== 'signed') throw new Error('expected a signature');
    await expectInvalid(verifyCmsSignature(placeholder.base64Signature, postman()), /^format:/);
  });
});

describe('old Swisscom TEST signatures (adfs 2015, RSA/SHA-1, unknown TEST CA)', () => {
  const cases = [
    ['adfs-2015-test-rubin2-signature_500_subscriberinfo.b64', 'hi code'],
    ['adfs-2015-test-rubin2-signature_500_nosubscriberinfo.b64', 'hello world!'],
  ] as const;
  const during = new Date('2016-06-01T00:00:00Z');

  it.each(cases)('%s is refused by default: SHA-1 is not accepted', async (name, dtbd) => {
    await expectInvalid(verifyCmsSignature(fixtureCms(name), { expectedDtbd: dtbd, now: during }), /^algorithm: digest algorithm SHA-1/);
  });

  it.each(cases)('%s: with SHA-1 allowed the signature verifies but the chain fails', async (name, dtbd) => {
    await expectInvalid(verifyCmsSignature(fixtureCms(name), { expectedDtbd: dtbd, now: during, allowSha1: true }), /^chain:/);
  });

  it.each(cases)('%s: control, a changed signature byte fails at the signature', async (name, dtbd) => {
    const der = Buffer.from(fixtureCms(name), 'base64');
    const tampered = flipByte(der, der.length - 10);
    await expectInvalid(verifyCmsSignature(b64(tampered), { expectedDtbd: dtbd, now: during, allowSha1: true }), /^signature:/);
  });
});

describe('signatures from a test PKI shaped like Swisscom (RSA-PSS root → RSA-PSS CA → user)', () => {
  const DTBD = 'ServiceCore: Log in to Tax portal? (K7QX3M)';
  const at = new Date('2030-01-01T00:00:00Z');
  let pki: Promise<{ root: Issued; ca: Issued }> | undefined;
  const getPki = () =>
    (pki ??= (async () => {
      const root = await issue({ commonName: 'Test Root CA', keyKind: 'rsa-pss', ca: true });
      const ca = await issue({ commonName: 'Test Rubin CA', keyKind: 'rsa-pss', ca: true, issuer: root });
      return { root, ca };
    })());
  const user = async (keyKind: 'ec' | 'rsa' | 'rsa-pss', extra: Partial<Parameters<typeof issue>[0]> = {}) => {
    const { ca } = await getPki();
    return issue({ commonName: 'MIDCHETEST0000001:PN', serialNumberAttr: 'MIDCHETEST0000001', keyKind, ca: false, issuer: ca, ...extra });
  };
  const opts = async (extra: Partial<VerifyCmsOptions> = {}): Promise<VerifyCmsOptions> => ({
    expectedDtbd: DTBD,
    trustAnchors: new CertificateStore([(await getPki()).root.cert]),
    now: at,
    ...extra,
  });

  it.each([
    ['ec', 'ecdsa-with-SHA256', 'EC P-256'],
    ['rsa', 'sha256WithRSAEncryption', 'RSA 2048'],
    ['rsa-pss', 'RSASSA-PSS', 'RSA 2048'],
  ] as const)('%s user key verifies (%s)', async (kind, algorithm, keyType) => {
    const signer = await user(kind);
    const { ca, root } = await getPki();
    const cms = await signCms({ content: DTBD, signer, certificates: [signer.cert, ca.cert, root.cert] });
    const result = await verifyCmsSignature(cms, await opts());
    expect(result.signatureAlgorithm).toBe(algorithm);
    expect(result.signer.keyType).toBe(keyType);
    expect(result.mobileIdSerial).toBe('MIDCHETEST0000001');
    expect(result.chain).toEqual(['serialNumber=MIDCHETEST0000001, CN=MIDCHETEST0000001:PN', 'CN=Test Rubin CA', 'CN=Test Root CA']);
  });

  it('takes intermediates from the extra store when the CMS carries only the user certificate', async () => {
    const signer = await user('ec');
    const { ca } = await getPki();
    const cms = await signCms({ content: DTBD, signer, certificates: [signer.cert] });
    await expectInvalid(verifyCmsSignature(cms, await opts()), /^chain:/);
    await expect(verifyCmsSignature(cms, await opts({ intermediates: new CertificateStore([ca.cert]) }))).resolves.toMatchObject({
      mobileIdSerial: 'MIDCHETEST0000001',
    });
  });

  it('refuses a chain to another root, even when the CMS brings that root along', async () => {
    const otherRoot = await issue({ commonName: 'Test Root CA', keyKind: 'ec', ca: true });
    const otherCa = await issue({ commonName: 'Test Rubin CA', keyKind: 'ec', ca: true, issuer: otherRoot });
    const signer = await issue({ commonName: 'MIDCHEFAKE:PN', serialNumberAttr: 'MIDCHEFAKE', keyKind: 'ec', ca: false, issuer: otherCa });
    const cms = await signCms({ content: DTBD, signer, certificates: [signer.cert, otherCa.cert, otherRoot.cert] });
    await expectInvalid(verifyCmsSignature(cms, await opts()), /^chain:/);
  });

  it('refuses an intermediate that has expired', async () => {
    const { root } = await getPki();
    const oldCa = await issue({ commonName: 'Old CA', keyKind: 'ec', ca: true, issuer: root, notAfter: new Date('2025-01-01T00:00:00Z') });
    const signer = await issue({ commonName: 'U:PN', keyKind: 'ec', ca: false, issuer: oldCa });
    const cms = await signCms({ content: DTBD, signer, certificates: [signer.cert, oldCa.cert] });
    await expectInvalid(verifyCmsSignature(cms, await opts()), /^chain:.*expired/);
  });

  it('validates a chain again once the time of verification leaves an intermediate\'s validity, however often it verified before', async () => {
    const { root } = await getPki();
    const shortCa = await issue({ commonName: 'Short CA', keyKind: 'ec', ca: true, issuer: root, notAfter: new Date('2031-01-01T00:00:00Z') });
    const signer = await issue({ commonName: 'U:PN', keyKind: 'ec', ca: false, issuer: shortCa, notAfter: new Date('2035-01-01T00:00:00Z') });
    const cms = await signCms({ content: DTBD, signer, certificates: [signer.cert, shortCa.cert] });
    for (let i = 0; i < 3; i++) await expect(verifyCmsSignature(cms, await opts())).resolves.toMatchObject({ chain: ['CN=U:PN', 'CN=Short CA', 'CN=Test Root CA'] });
    await expectInvalid(verifyCmsSignature(cms, await opts({ now: new Date('2032-01-01T00:00:00Z') })), /^chain:.*expired/);
  });

  it('does not carry a chain validated under one set of trust anchors over to another', async () => {
    const signer = await user('ec');
    const { ca, root } = await getPki();
    const cms = await signCms({ content: DTBD, signer, certificates: [signer.cert, ca.cert, root.cert] });
    await expect(verifyCmsSignature(cms, await opts())).resolves.toMatchObject({ mobileIdSerial: 'MIDCHETEST0000001' });
    const stranger = await issue({ commonName: 'Stranger Root', keyKind: 'ec', ca: true });
    await expectInvalid(verifyCmsSignature(cms, await opts({ trustAnchors: new CertificateStore([stranger.cert]) })), /^chain:/);
  });

  it('does not carry a chain validated with an intermediate from the extra store over to a CMS without it', async () => {
    const signer = await user('rsa');
    const { ca } = await getPki();
    const cms = await signCms({ content: DTBD, signer, certificates: [signer.cert] });
    await expect(verifyCmsSignature(cms, await opts({ intermediates: new CertificateStore([ca.cert]) }))).resolves.toMatchObject({
      mobileIdSerial: 'MIDCHETEST0000001',
    });
    await expectInvalid(verifyCmsSignature(cms, await opts()), /^chain:/);
  });

  it('refuses an intermediate that is not a CA', async () => {
    const { root } = await getPki();
    const notCa = await issue({ commonName: 'Not a CA', keyKind: 'ec', ca: false, issuer: root, keyUsage: 0x80 });
    const signer = await issue({ commonName: 'U:PN', keyKind: 'ec', ca: false, issuer: notCa });
    const cms = await signCms({ content: DTBD, signer, certificates: [signer.cert, notCa.cert] });
    await expectInvalid(verifyCmsSignature(cms, await opts()), /^chain:/);
  });

  it('refuses a signer certificate that is a CA or may not sign', async () => {
    const { ca } = await getPki();
    const caSigner = await issue({ commonName: 'CA as user', keyKind: 'ec', ca: true, issuer: ca });
    await expectInvalid(
      verifyCmsSignature(await signCms({ content: DTBD, signer: caSigner, certificates: [caSigner.cert, ca.cert] }), await opts()),
      /^certificate: signer certificate is a CA/,
    );
    const encipherOnly = await user('ec', { keyUsage: 0x20 });
    await expectInvalid(
      verifyCmsSignature(await signCms({ content: DTBD, signer: encipherOnly, certificates: [encipherOnly.cert, ca.cert] }), await opts()),
      /^certificate: .*key usage/,
    );
  });

  it('refuses a validly signed wrong messageDigest, missing signed attributes and a wrong content-type attribute', async () => {
    const signer = await user('ec');
    const { ca } = await getPki();
    const certificates = [signer.cert, ca.cert];
    await expectInvalid(
      verifyCmsSignature(await signCms({ content: DTBD, signer, certificates, wrongMessageDigest: true }), await opts()),
      /^attributes: messageDigest/,
    );
    await expectInvalid(
      verifyCmsSignature(await signCms({ content: DTBD, signer, certificates, noSignedAttributes: true }), await opts()),
      /^attributes: no signed attributes/,
    );
    await expectInvalid(
      verifyCmsSignature(await signCms({ content: DTBD, signer, certificates, contentTypeAttr: '1.2.840.113549.1.7.2' }), await opts()),
      /^attributes: content-type/,
    );
  });

  it('refuses a CMS that does not carry the signer certificate', async () => {
    const signer = await user('ec');
    const { ca } = await getPki();
    await expectInvalid(verifyCmsSignature(await signCms({ content: DTBD, signer, certificates: [ca.cert] }), await opts()), /^signer:/);
  });

  it('refuses a signature made with another key than the certificate says', async () => {
    const signer = await user('ec');
    const impostor = await user('ec');
    const { ca } = await getPki();
    const cms = await signCms({ content: DTBD, signer: { cert: signer.cert, keys: impostor.keys }, certificates: [signer.cert, ca.cert] });
    await expectInvalid(verifyCmsSignature(cms, await opts()), /^signature:/);
  });

  it('compares the content as UTF-8 bytes (non-ASCII DTBD)', async () => {
    const text = 'ServiceCore: Se connecter à Impôts ? (K7QX3M)';
    const signer = await user('ec');
    const { ca } = await getPki();
    const cms = await signCms({ content: text, signer, certificates: [signer.cert, ca.cert] });
    await expect(verifyCmsSignature(cms, await opts({ expectedDtbd: text }))).resolves.toMatchObject({ content: text });
    await expectInvalid(verifyCmsSignature(cms, await opts({ expectedDtbd: text.normalize('NFD') })), /^content:/);
  });
});
