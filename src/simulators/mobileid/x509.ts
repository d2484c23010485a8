/**
 * X.509 certificate encoding for the sandbox PKI: names, the extensions the real Mobile ID
 * certificates carry, and RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) signing like Swisscom's CAs.
 */
import { createHash, sign as cryptoSign, constants, type KeyObject } from 'node:crypto';

import {
  bitString,
  boolean,
  children,
  derNull,
  explicit,
  ia5String,
  implicitPrimitive,
  octetString,
  oid,
  printableString,
  sequence,
  setOf,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.js';

export const OID = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  caIssuers: '1.3.6.1.5.5.7.48.2',
  ocsp: '1.3.6.1.5.5.7.48.1',
  cps: '1.3.6.1.5.5.7.2.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  sha256: '2.16.840.1.101.3.4.2.1',
  mgf1: '1.2.840.113549.1.1.8',
  rsassaPss: '1.2.840.113549.1.1.10',
} as const;

/** One attribute of a distinguished name, in certificate order (CN first, like the real CAs). */
export interface NameAttribute {
  type: keyof typeof NAME_TYPES;
  value: string;
}

const NAME_TYPES = {
  cn: { oid: OID.commonName, printable: false, label: 'cn' },
  serialNumber: { oid: OID.serialNumber, printable: true, label: 'serialnumber' },
  ou: { oid: OID.organizationalUnitName, printable: false, label: 'ou' },
  o: { oid: OID.organizationName, printable: false, label: 'o' },
  c: { oid: OID.countryName, printable: true, label: 'c' },
} as const;

export function encodeName(attributes: readonly NameAttribute[]): Uint8Array {
  return sequence(
    ...attributes.map((a) => {
      const t = NAME_TYPES[a.type];
      const value = t.printable ? printableString(a.value) : utf8String(a.value);
      return setOf(sequence(oid(t.oid), value));
    }),
  );
}

/**
 * The name as the Profile Query's X509SubjectName shows it: lower case, last RDN first,
 * e.g. "cn=midcheo16p1o6e92:pn,serialnumber=midcheo16p1o6e92".
 */
export function profileSubjectName(attributes: readonly NameAttribute[]): string {
  return [...attributes]
    .reverse()
    .map((a) => `${NAME_TYPES[a.type].label}=${a.value}`.toLowerCase())
    .join(',');
}

/** AlgorithmIdentifier for RSASSA-PSS with SHA-256, MGF1(SHA-256), salt length 32. */
export function rsassaPssAlgorithm(): Uint8Array {
  const sha256 = sequence(oid(OID.sha256), derNull());
  return sequence(
    oid(OID.rsassaPss),
    sequence(explicit(0, sha256), explicit(1, sequence(oid(OID.mgf1), sha256)), explicit(2, smallInteger(32))),
  );
}

export function signPss(data: Uint8Array, key: KeyObject): Uint8Array {
  return cryptoSign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
}

/** SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 4.2.1.2, method 1). */
export function keyIdentifier(spkiDer: Uint8Array): Uint8Array {
  const [, bits] = children(spkiDer);
  if (!bits) throw new Error('SubjectPublicKeyInfo without a key');
  const keyBytes = spkiDer.subarray(bits.contentStart + 1, bits.end);
  return createHash('sha1').update(keyBytes).digest();
}

export interface Extension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

function encodeExtension(e: Extension): Uint8Array {
  return sequence(oid(e.oid), ...(e.critical ? [boolean(true)] : []), octetString(e.value));
}

const KEY_USAGE_BITS = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** The extensions the real certificates use, as small builders. */
export const ext = {
  basicConstraints(ca: boolean, pathLength?: number): Extension {
    const body = ca ? [boolean(true), ...(pathLength === undefined ? [] : [smallInteger(pathLength)])] : [];
    return { oid: OID.basicConstraints, critical: true, value: sequence(...body) };
  },
  keyUsage(usages: ReadonlyArray<keyof typeof KEY_USAGE_BITS>): Extension {
    const highest = Math.max(...usages.map((u) => KEY_USAGE_BITS[u]));
    let byte = 0;
    for (const u of usages) byte |= 0x80 >> KEY_USAGE_BITS[u];
    return { oid: OID.keyUsage, critical: true, value: bitString(Uint8Array.of(byte), 7 - highest) };
  },
  extKeyUsageClientAuth(): Extension {
    return { oid: OID.extKeyUsage, critical: false, value: sequence(oid(OID.clientAuth)) };
  },
  subjectKeyIdentifier(id: Uint8Array): Extension {
    return { oid: OID.subjectKeyIdentifier, critical: false, value: octetString(id) };
  },
  authorityKeyIdentifier(id: Uint8Array): Extension {
    return { oid: OID.authorityKeyIdentifier, critical: false, value: sequence(implicitPrimitive(0, id)) };
  },
  authorityInfoAccess(caIssuersUrl: string, ocspUrl?: string): Extension {
    const uri = (u: string) => implicitPrimitive(6, new TextEncoder().encode(u));
    const entries = [sequence(oid(OID.caIssuers), uri(caIssuersUrl))];
    if (ocspUrl) entries.push(sequence(oid(OID.ocsp), uri(ocspUrl)));
    return { oid: OID.authorityInfoAccess, critical: false, value: sequence(...entries) };
  },
  crlDistributionPoint(url: string): Extension {
    const fullName = explicit(0, implicitPrimitive(6, new TextEncoder().encode(url)));
    return { oid: OID.crlDistributionPoints, critical: false, value: sequence(sequence(explicit(0, fullName))) };
  },
  certificatePolicies(policies: ReadonlyArray<{ oid: string; cps?: string }>): Extension {
    const infos = policies.map((p) =>
      p.cps ? sequence(oid(p.oid), sequence(sequence(oid(OID.cps), ia5String(p.cps)))) : sequence(oid(p.oid)),
    );
    return { oid: OID.certificatePolicies, critical: false, value: sequence(...infos) };
  },
};

export interface CertificateTemplate {
  serial: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  extensions: readonly Extension[];
  /** The issuer's RSA private key; the certificate is signed with RSASSA-PSS. */
  signerKey: KeyObject;
}

/** Encode and sign a v3 certificate; returns its DER. */
export function buildCertificate(t: CertificateTemplate): Uint8Array {
  const algorithm = rsassaPssAlgorithm();
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(t.serial),
    algorithm,
    t.issuer,
    sequence(time(t.notBefore), time(t.notAfter)),
    t.subject,
    t.spki,
    explicit(3, sequence(...t.extensions.map(encodeExtension))),
  );
  return sequence(tbs, algorithm, bitString(signPss(tbs, t.signerKey)));
}

/** The raw subject and issuer Name DER of a certificate, for SignerInfo and chain building. */
export function certificateNames(certDer: Uint8Array): { issuer: Uint8Array; subject: Uint8Array; serial: Uint8Array } {
  const [tbs] = children(certDer);
  if (!tbs) throw new Error('Certificate without TBSCertificate');
  const fields = children(certDer, tbs);
  // version [0], serialNumber, signature, issuer, validity, subject, ...
  const [, serial, , issuer, , subject] = fields;
  if (!serial || !issuer || !subject) throw new Error('Malformed TBSCertificate');
  return {
    serial: certDer.subarray(serial.start, serial.end),
    issuer: certDer.subarray(issuer.start, issuer.end),
    subject: certDer.subarray(subject.start, subject.end),
  };
}

/** A positive 16-byte certificate serial number, like the real ones. */
export function randomCertificateSerial(random: (n: number) => Uint8Array): Uint8Array {
  const bytes = random(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes;
}
