/**
 * X.509 helpers for Mobile ID: the pkijs crypto engine (crypto-engine.ts, set once, here), PEM loading, the
 * default trust stores shipped in `trust/`, and a readable description of a certificate.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

import { ConfigError } from '../errors.js';

import { pkiCrypto } from './crypto-engine.js';

export { pkiCrypto };
pkijs.setEngine(pkiCrypto.name, pkiCrypto);

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

/** Parse one DER certificate; throws on anything that is not one. */
export function certificateFromDer(der: BufferSource): pkijs.Certificate {
  const cert = pkijs.Certificate.fromBER(der);
  if (cert.tbsView.byteLength === 0) throw new Error('empty TBSCertificate');
  return cert;
}

/** Every certificate of a PEM text (one or many blocks). */
export function certificatesFromPem(pem: string, source = 'PEM'): pkijs.Certificate[] {
  const certs: pkijs.Certificate[] = [];
  for (const m of pem.matchAll(PEM_BLOCK)) {
    const b64 = (m[1] ?? '').replace(/\s+/g, '');
    try {
      certs.push(certificateFromDer(new Uint8Array(Buffer.from(b64, 'base64'))));
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new ConfigError(`${source}: certificate #${certs.length + 1} cannot be parsed (${why})`);
    }
  }
  if (certs.length === 0) throw new ConfigError(`${source}: no PEM certificate found`);
  return certs;
}

/** Encode a certificate as PEM. */
export function certificateToPem(cert: pkijs.Certificate): string {
  const b64 = Buffer.from(cert.toSchema().toBER(false)).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** An immutable set of certificates: trust anchors or intermediates. */
export class CertificateStore {
  readonly certificates: readonly pkijs.Certificate[];

  constructor(certificates: readonly pkijs.Certificate[]) {
    this.certificates = [...certificates];
  }

  /** From PEM texts (each may hold several certificates). */
  static fromPem(...pems: string[]): CertificateStore {
    return new CertificateStore(pems.flatMap((p, i) => certificatesFromPem(p, `PEM #${i + 1}`)));
  }

  /** From PEM files. */
  static async fromFiles(...paths: string[]): Promise<CertificateStore> {
    const texts = await Promise.all(
      paths.map(async (p) => {
        try {
          return { p, text: await readFile(p, 'utf8') };
        } catch (cause) {
          throw new ConfigError(`${p}: cannot read certificate file (${cause instanceof Error ? cause.message : String(cause)})`);
        }
      }),
    );
    return new CertificateStore(texts.flatMap(({ p, text }) => certificatesFromPem(text, p)));
  }

  get size(): number {
    return this.certificates.length;
  }

  concat(other: CertificateStore): CertificateStore {
    return new CertificateStore([...this.certificates, ...other.certificates]);
  }

  /** Subject names, for logs and start-up messages. */
  subjects(): string[] {
    return this.certificates.map((c) => distinguishedName(c.subject));
  }
}

const TRUST_DIR = new URL('./trust/', import.meta.url);

function readTrustFile(name: string): string {
  return readFileSync(new URL(name, TRUST_DIR), 'utf8');
}

let defaultAnchors: CertificateStore | undefined;

/** Swisscom Root CA 2 and Root CA 4: the trust anchors of Mobile ID user certificates (7.2). */
export function defaultTrustAnchors(): CertificateStore {
  defaultAnchors ??= CertificateStore.fromPem(readTrustFile('Swisscom_Root_CA_2.pem'), readTrustFile('Swisscom_Root_CA_4.pem'));
  return defaultAnchors;
}

/** SwissSign Gold CA - G2 (PEM): the root of the Mobile ID server's TLS certificate (7.1). */
export function defaultServerCaPem(): string {
  return readTrustFile('SwissSign_Gold_CA_-_G2.pem');
}

// ---------------------------------------------------------------------------------------------
// Description
// ---------------------------------------------------------------------------------------------

const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.65': 'pseudonym',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

function attributeText(tv: pkijs.AttributeTypeAndValue): string {
  const value: unknown = tv.value.valueBlock.value;
  return typeof value === 'string' ? value : '';
}

/** `serialNumber=MIDCHEO16P1O6E92, CN=MIDCHEO16P1O6E92:PN` (in certificate order). */
export function distinguishedName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues.map((tv) => `${ATTRIBUTE_NAMES[tv.type] ?? tv.type}=${attributeText(tv)}`).join(', ');
}

/** The first value of an attribute (e.g. `2.5.4.5` serialNumber) in a name. */
export function nameAttribute(name: pkijs.RelativeDistinguishedNames, oid: string): string | undefined {
  const tv = name.typesAndValues.find((t) => t.type === oid);
  return tv ? attributeText(tv) : undefined;
}

const CURVES: Readonly<Record<string, string>> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
};

export interface PublicKeyInfo {
  /** `EC P-256`, `RSA 2048`, or the algorithm OID when unknown. */
  keyType: string;
  algorithm: 'EC' | 'RSA' | 'other';
  /** EC curve name or RSA modulus size in bits. */
  size: string | number | undefined;
}

/** Key algorithm and size of a certificate's public key. */
export function publicKeyInfo(cert: pkijs.Certificate): PublicKeyInfo {
  const spki = cert.subjectPublicKeyInfo;
  const oid = spki.algorithm.algorithmId;
  if (oid === '1.2.840.10045.2.1') {
    const params = spki.algorithm.algorithmParams;
    const curveOid = params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : '';
    const curve = CURVES[curveOid];
    return { keyType: `EC ${curve ?? curveOid}`, algorithm: 'EC', size: curve ?? curveOid };
  }
  if (oid === '1.2.840.113549.1.1.1' || oid === '1.2.840.113549.1.1.10') {
    const key = spki.parsedKey;
    if (key instanceof pkijs.RSAPublicKey) {
      let modulus = key.modulus.valueBlock.valueHexView;
      while (modulus.length > 0 && modulus[0] === 0) modulus = modulus.subarray(1);
      const bits = modulus.length === 0 ? 0 : (modulus.length - 1) * 8 + (32 - Math.clz32(modulus[0] ?? 0));
      return { keyType: `RSA ${bits}`, algorithm: 'RSA', size: bits };
    }
    return { keyType: 'RSA', algorithm: 'RSA', size: undefined };
  }
  return { keyType: oid, algorithm: 'other', size: undefined };
}

export interface CertificateInfo {
  subject: string;
  /** Subject serialNumber attribute: the Mobile ID serial number, e.g. MIDCHEO16P1O6E92. */
  subjectSerialNumber: string | undefined;
  commonName: string | undefined;
  issuer: string;
  issuerCommonName: string | undefined;
  /** Certificate serial number, hex. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  keyType: string;
}

/** What we log and return about a certificate. */
export function describeCertificate(cert: pkijs.Certificate): CertificateInfo {
  return {
    subject: distinguishedName(cert.subject),
    subjectSerialNumber: nameAttribute(cert.subject, '2.5.4.5'),
    commonName: nameAttribute(cert.subject, '2.5.4.3'),
    issuer: distinguishedName(cert.issuer),
    issuerCommonName: nameAttribute(cert.issuer, '2.5.4.3'),
    serialNumber: Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex'),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    keyType: publicKeyInfo(cert).keyType,
  };
}

/** The parsed value of an extension, if present. */
export function extensionValue(cert: pkijs.Certificate, oid: string): unknown {
  return cert.extensions?.find((e) => e.extnID === oid)?.parsedValue;
}

/** True when basicConstraints says cA. */
export function isCaCertificate(cert: pkijs.Certificate): boolean {
  const bc = extensionValue(cert, '2.5.29.19');
  return bc instanceof pkijs.BasicConstraints && bc.cA === true;
}

/** Byte-equality of the TBS parts (same certificate content). */
export function sameCertificate(a: pkijs.Certificate, b: pkijs.Certificate): boolean {
  return Buffer.from(a.tbsView).equals(Buffer.from(b.tbsView));
}
