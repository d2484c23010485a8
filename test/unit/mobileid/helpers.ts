/**
 * Test helpers: the recorded Swisscom vectors (../shared/vectors/swisscom-mobileid, see its SOURCES.md) and a small
 * throw-away PKI that signs CMS like the Mobile ID service does (EC, RSA PKCS#1 v1.5, RSA-PSS).
 */
import { readFileSync } from 'node:fs';

import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

import { pkiCrypto } from '../../../src/mobileid/certificates.js';

const FIXTURES = new URL('../../../../shared/vectors/swisscom-mobileid/', import.meta.url);

export function fixtureText(path: string): string {
  return readFileSync(new URL(path, FIXTURES), 'utf8');
}

export function fixtureJson(path: string): unknown {
  return JSON.parse(fixtureText(path)) as unknown;
}

export function fixtureBytes(path: string): Buffer {
  return readFileSync(new URL(path, FIXTURES));
}

/** The Base64Signature of a recorded CMS blob. */
export function fixtureCms(name: string): string {
  return fixtureText(`cms/${name}`).trim();
}

// ---------------------------------------------------------------------------------------------
// Test PKI
// ---------------------------------------------------------------------------------------------

export type KeyKind = 'ec' | 'rsa' | 'rsa-pss';

const KEY_PARAMS: Record<KeyKind, RsaHashedKeyGenParams | EcKeyGenParams> = {
  ec: { name: 'ECDSA', namedCurve: 'P-256' },
  rsa: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
  'rsa-pss': { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
};

export async function generateKeys(kind: KeyKind): Promise<CryptoKeyPair> {
  return (await globalThis.crypto.subtle.generateKey(KEY_PARAMS[kind], true, ['sign', 'verify'])) as CryptoKeyPair;
}

export interface Issued {
  cert: pkijs.Certificate;
  keys: CryptoKeyPair;
}

export interface CertSpec {
  commonName: string;
  serialNumberAttr?: string;
  keyKind: KeyKind;
  /** Self-signed when absent. */
  issuer?: Issued;
  ca: boolean;
  notBefore?: Date;
  notAfter?: Date;
  /** First key usage byte; default keyCertSign|cRLSign for CAs, digitalSignature otherwise. */
  keyUsage?: number;
  serial?: number;
  /** subjectAltName iPAddress (for a TLS server certificate), e.g. `127.0.0.1`. */
  ipAddress?: string;
}

let serialCounter = 1000;

/** Issue a certificate (self-signed when `issuer` is absent). */
export async function issue(spec: CertSpec): Promise<Issued> {
  const keys = await generateKeys(spec.keyKind);
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: spec.serial ?? (serialCounter += 1) });
  if (spec.serialNumberAttr) {
    cert.subject.typesAndValues.push(
      new pkijs.AttributeTypeAndValue({ type: '2.5.4.5', value: new asn1js.PrintableString({ value: spec.serialNumberAttr }) }),
    );
  }
  cert.subject.typesAndValues.push(
    new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: spec.commonName }) }),
  );
  const issuerName = spec.issuer ? spec.issuer.cert.subject : cert.subject;
  cert.issuer = new pkijs.RelativeDistinguishedNames({ typesAndValues: [...issuerName.typesAndValues] });
  cert.notBefore.value = spec.notBefore ?? new Date('2020-01-01T00:00:00Z');
  cert.notAfter.value = spec.notAfter ?? new Date('2040-01-01T00:00:00Z');
  const ku = new Uint8Array([spec.keyUsage ?? (spec.ca ? 0x06 : 0x80)]);
  cert.extensions = [
    new pkijs.Extension({
      extnID: '2.5.29.19',
      critical: true,
      extnValue: new pkijs.BasicConstraints({ cA: spec.ca }).toSchema().toBER(false),
      parsedValue: new pkijs.BasicConstraints({ cA: spec.ca }),
    }),
    new pkijs.Extension({
      extnID: '2.5.29.15',
      critical: true,
      extnValue: new asn1js.BitString({ valueHex: ku, unusedBits: 1 }).toBER(false),
    }),
  ];
  if (spec.ipAddress) {
    const ip = Uint8Array.from(spec.ipAddress.split('.').map(Number));
    const altName = new pkijs.AltName({ altNames: [new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: ip }) })] });
    cert.extensions.push(new pkijs.Extension({ extnID: '2.5.29.17', critical: false, extnValue: altName.toSchema().toBER(false) }));
  }
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey, pkiCrypto);
  await cert.sign((spec.issuer ?? { keys }).keys.privateKey, 'SHA-256', pkiCrypto);
  // Round-trip so every parsed field (tbsView, parsed extensions) is what a reader would see.
  return { cert: pkijs.Certificate.fromBER(cert.toSchema(true).toBER(false)), keys };
}

export interface CmsSpec {
  content: string;
  signer: Issued;
  certificates: pkijs.Certificate[];
  /** Put a wrong messageDigest in the (validly signed) attributes. */
  wrongMessageDigest?: boolean;
  /** Leave out the signed attributes (signature over the content itself). */
  noSignedAttributes?: boolean;
  /** Content type attribute value; default id-data. */
  contentTypeAttr?: string;
}

/** Sign `content` as Base64 CMS SignedData, like the Mobile ID service. */
export async function signCms(spec: CmsSpec): Promise<string> {
  const data = new TextEncoder().encode(spec.content);
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', data));
  if (spec.wrongMessageDigest) digest[0] = (digest[0] ?? 0) ^ 0xff;
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: spec.signer.cert.issuer, serialNumber: spec.signer.cert.serialNumber }),
  });
  if (!spec.noSignedAttributes) {
    signerInfo.signedAttrs = new pkijs.SignedAndUnsignedAttributes({
      type: 0,
      attributes: [
        new pkijs.Attribute({ type: '1.2.840.113549.1.9.3', values: [new asn1js.ObjectIdentifier({ value: spec.contentTypeAttr ?? '1.2.840.113549.1.7.1' })] }),
        new pkijs.Attribute({ type: '1.2.840.113549.1.9.4', values: [new asn1js.OctetString({ valueHex: digest })] }),
      ],
    });
  }
  const sd = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: '1.2.840.113549.1.7.1',
      eContent: new asn1js.OctetString({ valueHex: data }),
    }),
    signerInfos: [signerInfo],
    certificates: spec.certificates,
  });
  await sd.sign(spec.signer.keys.privateKey, 0, 'SHA-256', undefined, pkiCrypto);
  const ci = new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.SIGNED_DATA, content: sd.toSchema(true) });
  return Buffer.from(ci.toSchema().toBER(false)).toString('base64');
}

/** PEM of a certificate or a PKCS#8 private key. */
export async function toPem(item: pkijs.Certificate | CryptoKey): Promise<string> {
  const [label, der] =
    item instanceof pkijs.Certificate
      ? ['CERTIFICATE', item.toSchema().toBER(false)]
      : ['PRIVATE KEY', await globalThis.crypto.subtle.exportKey('pkcs8', item)];
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Change one byte at `offset` (XOR 0x01) in a copy. */
export function flipByte(bytes: Uint8Array, offset: number): Buffer {
  const copy = Buffer.from(bytes);
  if (offset < 0 || offset >= copy.length) throw new Error(`offset ${offset} outside ${copy.length} bytes`);
  copy[offset] = (copy[offset] ?? 0) ^ 0x01;
  return copy;
}

/** Offset of the first (or `nth`) occurrence of a byte pattern; throws when absent. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array | string, nth = 0): number {
  const pattern = typeof needle === 'string' ? Buffer.from(needle, 'latin1') : Buffer.from(needle);
  let from = 0;
  for (let i = 0; i <= nth; i += 1) {
    const at = Buffer.from(haystack).indexOf(pattern, from);
    if (at < 0) throw new Error('pattern not found');
    if (i === nth) return at;
    from = at + 1;
  }
  throw new Error('unreachable');
}

/** Offset of the last occurrence of a byte pattern. */
export function lastIndexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  const at = Buffer.from(haystack).lastIndexOf(Buffer.from(needle));
  if (at < 0) throw new Error('pattern not found');
  return at;
}
