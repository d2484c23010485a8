import * as pkijs from 'pkijs';
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

  it('Base64 as RFC 4648 writes it: line breaks and missing padding are fine, anything else is refused', async () => {
    // The signature of the recorded status answer: 6910 bytes, so its encoding ends with "==".
    const padded = b64(fixtureBytes('cms/postman-2024-ec-rubin4-status.der'));
    expect(padded).toMatch(/[^=]==$/);
    const body = padded.slice(0, -2);
    const wrapped = padded.replace(/.{64}/g, '$&\r\n');
    for (const ok of [padded, body, wrapped, ` ${padded}\n`]) {
      expect((await verifyCmsSignature(ok, postman())).mobileIdSerial).toBe('MIDCHEO16P1O6E92');
    }
    const notBase64 = /^format: Base64Signature is not Base64/;
    await expectInvalid(verifyCmsSignature(`${padded}=`, postman()), notBase64); // padding beyond the block
    await expectInvalid(verifyCmsSignature(`${body}=`, postman()), notBase64); // half the padding
    await expectInvalid(verifyCmsSignature(padded.replace(/\+/g, '-').replace(/\//g, '_'), postman()), notBase64); // base64url
    await expectInvalid(verifyCmsSignature(`${padded.slice(0, 100)}!${padded.slice(100)}`, postman()), notBase64);
    await expectInvalid(verifyCmsSignature(`${padded.slice(0, 100)}=${padded.slice(100)}`, postman()), notBase64);
    // A last character whose unused bits are not zero ("A" is QQ==): no encoder writes it.
    await expectInvalid(verifyCmsSignature('QR==', postman()), notBase64);
    await expectInvalid(verifyCmsSignature('QUJDRA=', postman()), notBase64); // half the padding
    await expectInvalid(verifyCmsSignature('Q', postman()), notBase64);
  });
});

describe('what no signature covers, in the real signature (see cms-bit-flips.test.ts for every bit)', () => {
  const der = fixtureBytes('cms/postman-2024-ec-rubin4-sign.der');
  /** A copy with `mask` flipped at `offset`, after checking the byte there is `was`. */
  const flipped = (offset: number, was: number, mask = 0x01): string => {
    expect(der[offset], `byte ${offset}`).toBe(was);
    const copy = Buffer.from(der);
    copy[offset] = was ^ mask;
    return b64(copy);
  };

  it('a NULL given a length (byte 6714): a format error, where asn1js threw a plain Error ("Wrong input string for conversion")', async () => {
    const e = await expectInvalid(verifyCmsSignature(flipped(6714, 0x00), postman()), /^format: not well-formed BER/);
    expect(e).toBeInstanceOf(MobileIdError);
  });

  it('well-formed BER that asn1js cannot read (a GeneralizedTime of binary bytes in the signed attributes): a format error', async () => {
    // The random nonce's OCTET STRING (6759: 04 08 ...) tagged as a GeneralizedTime instead.
    const copy = Buffer.from(der);
    expect(copy[6759]).toBe(0x04);
    copy[6759] = 0x18;
    await expectInvalid(verifyCmsSignature(b64(copy), postman()), /^format: SignedData cannot be parsed \(Wrong input string for conversion\)/);
  });

  it('the end-of-contents octets and anything after them must be exact', async () => {
    for (const at of [6907, 6909, 6911]) await expectInvalid(verifyCmsSignature(flipped(at, 0x00), postman()), /^format: not well-formed BER/);
    await expectInvalid(verifyCmsSignature(b64(Buffer.concat([der, Buffer.of(0)])), postman()), /^format: not well-formed BER: 1 bytes after the end/);
    await expectInvalid(verifyCmsSignature(b64(der.subarray(0, der.length - 2)), postman()), /^format: not well-formed BER/);
  });

  it('a length that asn1js reads past (the intermediate certificate, byte 1477): a format error', async () => {
    await expectInvalid(verifyCmsSignature(flipped(1477, 0x09), postman()), /^format: not well-formed BER/);
  });

  it('the versions must fit the SignerIdentifier (issuerAndSerialNumber: 1)', async () => {
    await expectInvalid(verifyCmsSignature(flipped(6529, 0x01), postman()), /^format: SignerInfo version 0 does not fit its issuerAndSerialNumber/);
    await expectInvalid(verifyCmsSignature(flipped(19, 0x01), postman()), /^format: SignedData version 0 does not fit its SignerInfo/);
  });

  it('digestAlgorithms must name the signer\'s digest algorithm', async () => {
    // The last byte of the OID sha256 (2.16.840.1.101.3.4.2.1) in digestAlgorithms.
    await expectInvalid(verifyCmsSignature(flipped(34, 0x01), postman()), /^format: digestAlgorithms does not name the signer's digest algorithm/);
  });

  it('a certificate\'s outer signatureAlgorithm must be the one inside its signed part (RFC 5280 4.1.1.2)', async () => {
    // MGF1's hash (sha256 → another OID) in the outer RSASSA-PSS parameters of the user certificate.
    await expectInvalid(
      verifyCmsSignature(flipped(950, 0x01), postman()),
      /^format: certificate #1 of the CMS is malformed \(signatureAlgorithm is not the signature algorithm of tbsCertificate/,
    );
  });

  it('a certificate\'s signature has no unused bits', async () => {
    await expectInvalid(verifyCmsSignature(flipped(962, 0x00), postman()), /^format: certificate #1 of the CMS is malformed \(the signature has unused bits\)/);
    await expectInvalid(verifyCmsSignature(flipped(2843, 0x00), postman()), /^format: certificate #2 of the CMS is malformed \(the signature has unused bits\)/);
  });

  it('the embedded root, which the path to the configured anchor does not use, must still be that anchor', async () => {
    await expect(verifyCmsSignature(b64(der), postman())).resolves.toMatchObject({ mobileIdSerial: 'MIDCHEO16P1O6E92' });
    // A byte of its signature value, then of its public key.
    for (const at of [6000, 4400]) {
      await expectInvalid(
        verifyCmsSignature(flipped(at, der[at]!), postman()),
        /^chain: certificate #3 of the CMS \(.*CN=Swisscom Root CA 4.*\) is not on the path, not a trust anchor, and not verified by its issuer/,
      );
    }
    // Its SEQUENCE tag made a context tag: no longer a certificate, and not left aside either.
    await expectInvalid(verifyCmsSignature(flipped(3868, 0x30, 0x80), postman()), /^format: the certificates hold something other than X.509 certificates/);
  });

  it('the issuer in the SignerIdentifier must be the certificate\'s, byte for byte (here a PrintableString made a NumericString)', async () => {
    await expectInvalid(verifyCmsSignature(flipped(6678, 0x13), postman()), /^signer: signer certificate \(issuer and serial number\) not in the CMS/);
  });

  it('the signer\'s algorithms take no parameters but NULL, and its ECDSA signature is a DER ECDSA-Sig-Value', async () => {
    await expectInvalid(verifyCmsSignature(flipped(6830, 0x05), postman()), /^algorithm: signature algorithm 1.2.840.10045.4.3.2 has parameters/);
    // r's leading zero made 0x80: a negative r, which pkijs would cut to the same 32 bytes.
    await expectInvalid(verifyCmsSignature(flipped(6838, 0x00, 0x80), postman()), /^signature: the ECDSA signature value is malformed \(r or s is negative\)/);
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

  it('refuses RSASSA-PSS parameters whose mask generation hash is not the digest algorithm (no signature covers them)', async () => {
    const signer = await user('rsa-pss');
    const { ca } = await getPki();
    const cms = await signCms({ content: DTBD, signer, certificates: [signer.cert, ca.cert] });
    await expect(verifyCmsSignature(cms, await opts())).resolves.toMatchObject({ signatureAlgorithm: 'RSASSA-PSS' });
    const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(Buffer.from(cms, 'base64')).content });
    const signerInfo = sd.signerInfos[0]!;
    const params = new pkijs.RSASSAPSSParams({ schema: signerInfo.signatureAlgorithm.algorithmParams });
    params.maskGenAlgorithm = new pkijs.AlgorithmIdentifier({
      algorithmId: '1.2.840.113549.1.1.8',
      algorithmParams: new pkijs.AlgorithmIdentifier({ algorithmId: '1.3.14.3.2.26' }).toSchema(),
    });
    signerInfo.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.113549.1.1.10', algorithmParams: params.toSchema() });
    const changed = new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.SIGNED_DATA, content: sd.toSchema(true) }).toSchema().toBER(false);
    await expectInvalid(verifyCmsSignature(b64(new Uint8Array(changed)), await opts()), /^algorithm: RSASSA-PSS parameters/);
  });

  it('accepts certificates beyond the path that their issuer verifies: another CA of the root, a self-signed root', async () => {
    const signer = await user('ec');
    const { ca, root } = await getPki();
    const sibling = await issue({ commonName: 'Test Sibling CA', keyKind: 'ec', ca: true, issuer: root });
    const stranger = await issue({ commonName: 'Stranger Root', keyKind: 'ec', ca: true });
    const cms = await signCms({ content: DTBD, signer, certificates: [signer.cert, ca.cert, root.cert, sibling.cert, stranger.cert] });
    await expect(verifyCmsSignature(cms, await opts())).resolves.toMatchObject({ chain: ['serialNumber=MIDCHETEST0000001, CN=MIDCHETEST0000001:PN', 'CN=Test Rubin CA', 'CN=Test Root CA'] });
  });

  it('refuses a certificate beyond the path that no certificate at hand verifies', async () => {
    const signer = await user('ec');
    const { ca } = await getPki();
    const stranger = await issue({ commonName: 'Stranger Root', keyKind: 'ec', ca: true });
    const orphan = await issue({ commonName: 'Orphan CA', keyKind: 'ec', ca: true, issuer: stranger });
    const cms = await signCms({ content: DTBD, signer, certificates: [signer.cert, ca.cert, orphan.cert] });
    await expectInvalid(verifyCmsSignature(cms, await opts()), /^chain: certificate #3 of the CMS \(CN=Orphan CA\) is not on the path/);
    // Nor is it let through by a chain remembered from the same signature without it.
    await expect(verifyCmsSignature(await signCms({ content: DTBD, signer, certificates: [signer.cert, ca.cert] }), await opts())).resolves.toBeDefined();
    await expectInvalid(verifyCmsSignature(cms, await opts()), /^chain: certificate #3/);
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
