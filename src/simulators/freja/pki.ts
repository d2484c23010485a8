/**
 * The Freja eID simulator's own test PKI, shaped like Freja's: a root CA, an issuing CA, and a
 * JWS signing certificate (RSA 2048, sha256WithRSAEncryption, key usage digitalSignature +
 * nonRepudiation) whose `x5t` (base64url SHA-1 of the DER) names it in every JWS header.
 *
 * Generated once and kept in `<dir>/pki.json` (keys and certificates as PEM), with the root and the
 * signing certificate also written as PEM files so the product can be told to trust them. Without
 * a directory everything stays in memory. An expired or soon-expiring set is replaced.
 */
import { createHash, createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';

import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

import { readJsonFile, writeFileAtomic } from '../shared/storage.js';

const engine = new pkijs.CryptoEngine({ name: 'freja-simulator', crypto: webcrypto as unknown as Crypto });

const FILE = 'pki.json';
const FORMAT = 'servicecore-freja-sandbox-pki/1';
const RENEW_BEFORE_MS = 30 * 86_400_000;

const ALGORITHM: RsaHashedKeyGenParams = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };

const OID = { cn: '2.5.4.3', ou: '2.5.4.11', o: '2.5.4.10', c: '2.5.4.6', basicConstraints: '2.5.29.19', keyUsage: '2.5.29.15', ski: '2.5.29.14', aki: '2.5.29.35' };

type Name = { cn: string; ou: string; o: string; c: string };
const ROOT: Name = { cn: 'ServiceCore Sandbox Freja eID Root CA', ou: 'Sandbox', o: 'ServiceCore Login Sandbox', c: 'CH' };
const ISSUING: Name = { cn: 'ServiceCore Sandbox Freja eID Issuing CA', ou: 'Sandbox', o: 'ServiceCore Login Sandbox', c: 'CH' };
const SIGNING: Name = { cn: 'ServiceCore Sandbox Freja eID JWS Signing', ou: 'Sandbox', o: 'ServiceCore Login Sandbox', c: 'CH' };

export interface FrejaSandboxPki {
  rootPem: string;
  issuingPem: string;
  signingPem: string;
  /** x5t of the signing certificate. */
  x5t: string;
  signingKey: KeyObject;
  /** The signing certificate's validity end. */
  notAfter: Date;
}

interface PkiFile {
  format: typeof FORMAT;
  rootPem: string;
  issuingPem: string;
  signingPem: string;
  signingKeyPem: string;
  notAfter: string;
}

function pem(label: string, der: ArrayBuffer | Uint8Array): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

function derOfPem(text: string): Buffer {
  return Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

export function x5tOfPem(certPem: string): string {
  return createHash('sha1').update(derOfPem(certPem)).digest('base64url');
}

/** A Name with one attribute per RDN (C, O, OU, CN), as real certificates have it. */
function nameOf(name: Name): pkijs.RelativeDistinguishedNames {
  const rdn = (type: string, value: asn1js.BaseStringBlock) => new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({ type, value }).toSchema()] });
  const der = new asn1js.Sequence({
    value: [
      rdn(OID.c, new asn1js.PrintableString({ value: name.c })),
      rdn(OID.o, new asn1js.Utf8String({ value: name.o })),
      rdn(OID.ou, new asn1js.Utf8String({ value: name.ou })),
      rdn(OID.cn, new asn1js.Utf8String({ value: name.cn })),
    ],
  }).toBER(false);
  return pkijs.RelativeDistinguishedNames.fromBER(der);
}

function keyUsage(bits: number, unused: number): pkijs.Extension {
  const value = new asn1js.BitString({ valueHex: new Uint8Array([bits]).buffer, unusedBits: unused });
  return new pkijs.Extension({ extnID: OID.keyUsage, critical: true, extnValue: value.toBER(false) });
}

async function keyId(publicKey: CryptoKey): Promise<ArrayBuffer> {
  const spki = await webcrypto.subtle.exportKey('spki', publicKey);
  const info = pkijs.PublicKeyInfo.fromBER(spki);
  return webcrypto.subtle.digest('SHA-1', info.subjectPublicKey.valueBlock.valueHexView);
}

async function issue(opts: {
  subject: Name;
  issuer: Name;
  publicKey: CryptoKey;
  signerKey: CryptoKey;
  issuerPublicKey: CryptoKey;
  ca: boolean;
  pathLength?: number;
  notBefore: Date;
  years: number;
}): Promise<ArrayBuffer> {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = webcrypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial.buffer });
  cert.issuer = nameOf(opts.issuer);
  cert.subject = nameOf(opts.subject);
  cert.notBefore.value = opts.notBefore;
  const notAfter = new Date(opts.notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + opts.years);
  cert.notAfter.value = notAfter;
  const basic = new pkijs.BasicConstraints(opts.ca ? { cA: true, ...(opts.pathLength !== undefined ? { pathLenConstraint: opts.pathLength } : {}) } : {});
  cert.extensions = [
    new pkijs.Extension({ extnID: OID.basicConstraints, critical: true, extnValue: basic.toSchema().toBER(false) }),
    // keyCertSign + cRLSign for CAs; digitalSignature + nonRepudiation for the JWS signer.
    opts.ca ? keyUsage(0x06, 1) : keyUsage(0xc0, 6),
    new pkijs.Extension({ extnID: OID.ski, extnValue: new asn1js.OctetString({ valueHex: await keyId(opts.publicKey) }).toBER(false) }),
    new pkijs.Extension({
      extnID: OID.aki,
      extnValue: new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: await keyId(opts.issuerPublicKey) }) }).toSchema().toBER(false),
    }),
  ];
  await cert.subjectPublicKeyInfo.importKey(opts.publicKey, engine);
  await cert.sign(opts.signerKey, 'SHA-256', engine);
  return cert.toSchema(true).toBER(false);
}

async function generate(now: Date): Promise<PkiFile> {
  const keys = async () => (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const [root, issuing, signing] = await Promise.all([keys(), keys(), keys()]);
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 3_600_000);
  const rootDer = await issue({ subject: ROOT, issuer: ROOT, publicKey: root.publicKey, signerKey: root.privateKey, issuerPublicKey: root.publicKey, ca: true, notBefore, years: 20 });
  const issuingDer = await issue({ subject: ISSUING, issuer: ROOT, publicKey: issuing.publicKey, signerKey: root.privateKey, issuerPublicKey: root.publicKey, ca: true, pathLength: 0, notBefore, years: 10 });
  const signingDer = await issue({ subject: SIGNING, issuer: ISSUING, publicKey: signing.publicKey, signerKey: issuing.privateKey, issuerPublicKey: issuing.publicKey, ca: false, notBefore, years: 3 });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', signing.privateKey);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 3);
  return {
    format: FORMAT,
    rootPem: pem('CERTIFICATE', rootDer),
    issuingPem: pem('CERTIFICATE', issuingDer),
    signingPem: pem('CERTIFICATE', signingDer),
    signingKeyPem: pem('PRIVATE KEY', pkcs8),
    notAfter: notAfter.toISOString(),
  };
}

function toPki(file: PkiFile): FrejaSandboxPki {
  return {
    rootPem: file.rootPem,
    issuingPem: file.issuingPem,
    signingPem: file.signingPem,
    x5t: x5tOfPem(file.signingPem),
    signingKey: createPrivateKey(file.signingKeyPem),
    notAfter: new Date(file.notAfter),
  };
}

/** Load the PKI from `dir`, or create (and, with a directory, persist) a new one. */
export async function loadOrCreatePki(opts: { dir: string | undefined; now: () => Date }): Promise<FrejaSandboxPki> {
  const now = opts.now();
  let file: PkiFile | undefined;
  if (opts.dir) {
    const stored = await readJsonFile<PkiFile>(opts.dir, FILE);
    if (stored?.format === FORMAT && Date.parse(stored.notAfter) - RENEW_BEFORE_MS > now.getTime()) file = stored;
  }
  if (!file) {
    file = await generate(now);
    if (opts.dir) {
      await writeFileAtomic(opts.dir, FILE, JSON.stringify(file, null, 2), 0o600);
      await writeFileAtomic(opts.dir, 'root-ca.pem', file.rootPem, 0o644);
      await writeFileAtomic(opts.dir, 'jws-signing.pem', file.signingPem + file.issuingPem, 0o644);
    }
  }
  return toPki(file);
}

/** A certificate chain and key made on the spot (tests: a signer nobody configured). */
export async function generateSigningPki(now: Date = new Date()): Promise<FrejaSandboxPki> {
  return toPki(await generate(now));
}
