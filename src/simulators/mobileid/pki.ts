/**
 * The simulator's own test PKI: a root CA and an issuing CA (both RSA, signing with RSASSA-PSS
 * like Swisscom Root CA 4 / Rubin CA 4), and user certificates shaped like the real Mobile ID ones
 * (subject serialNumber=MIDCHE..., CN=<serial>:PN, key usage digitalSignature, EKU clientAuth).
 *
 * The CA is generated once and kept in `<dir>/ca.json` (keys and certificates as PEM); the root
 * certificate is also written to `<dir>/root-ca.pem` so the product can be told to trust it.
 * Without a directory everything stays in memory.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

import { readJsonFile, writeFileAtomic } from '../shared/storage.js';
import { fromPem, toPem } from './der.js';
import {
  buildCertificate,
  encodeName,
  ext,
  keyIdentifier,
  randomCertificateSerial,
  type NameAttribute,
} from './x509.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export const ROOT_CA_NAME: readonly NameAttribute[] = [
  { type: 'cn', value: 'ServiceCore Sandbox Mobile ID Root CA' },
  { type: 'ou', value: 'Sandbox Certificate Services' },
  { type: 'o', value: 'ServiceCore Login Sandbox' },
  { type: 'c', value: 'CH' },
];

export const ISSUING_CA_NAME: readonly NameAttribute[] = [
  { type: 'cn', value: 'ServiceCore Sandbox Mobile ID Issuing CA' },
  { type: 'ou', value: 'Sandbox Certificate Services' },
  { type: 'o', value: 'ServiceCore Login Sandbox' },
  { type: 'c', value: 'CH' },
];

/** Never-resolving addresses (RFC 6761 .invalid) so the certificates keep the real shape. */
const SANDBOX_HOST = 'http://mobileid-sandbox.servicecore.invalid';
/** ETSI NCP+ (as on the real certificates) and a sandbox policy under the example arc 2.999. */
const USER_POLICIES = [{ oid: '0.4.0.2042.1.3' }, { oid: '2.999.83.30.4.4', cps: `${SANDBOX_HOST}/cps/` }];

const ROOT_KEY_BITS = 4096;
const ISSUING_KEY_BITS = 3072;
const CA_FILE = 'ca.json';
const ROOT_PEM_FILE = 'root-ca.pem';
const CA_FILE_FORMAT = 'servicecore-mobileid-sandbox-ca/1';

export type KeyAlgorithm = 'EC' | 'RSA';

export interface SandboxCa {
  name: readonly NameAttribute[];
  certDer: Uint8Array;
  certPem: string;
  privateKey: KeyObject;
  keyId: Uint8Array;
}

export interface UserCertificateInput {
  /** The Mobile ID serial number, e.g. MIDCHEO16P1O6E92. */
  mobileIdSerial: string;
  publicKey: KeyObject;
  algorithm: KeyAlgorithm;
  notBefore: Date;
}

export interface SandboxPki {
  root: SandboxCa;
  issuing: SandboxCa;
  /** PEM of the root CA: the trust anchor to configure in the product. */
  rootCaPem: string;
  issuingCaPem: string;
  issueUserCertificate(input: UserCertificateInput): Uint8Array;
}

/** The subject of a user certificate. */
export function userCertificateName(mobileIdSerial: string): NameAttribute[] {
  return [
    { type: 'serialNumber', value: mobileIdSerial },
    { type: 'cn', value: `${mobileIdSerial}:PN` },
  ];
}

function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
}

function addYears(date: Date, years: number): Date {
  const d = new Date(date);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

async function createCa(now: Date): Promise<{ root: SandboxCa; issuing: SandboxCa }> {
  const [rootKeys, issuingKeys] = await Promise.all([
    generateKeyPairAsync('rsa', { modulusLength: ROOT_KEY_BITS }),
    generateKeyPairAsync('rsa', { modulusLength: ISSUING_KEY_BITS }),
  ]);
  const notBefore = new Date(now.getTime() - 3_600_000);
  const rootSpki = spkiOf(rootKeys.publicKey);
  const rootKeyId = keyIdentifier(rootSpki);
  const rootName = encodeName(ROOT_CA_NAME);
  const rootDer = buildCertificate({
    serial: randomCertificateSerial(randomBytes),
    issuer: rootName,
    subject: rootName,
    notBefore,
    notAfter: addYears(notBefore, 20),
    spki: rootSpki,
    extensions: [
      ext.basicConstraints(true),
      ext.certificatePolicies([{ oid: '2.5.29.32.0' }]),
      ext.subjectKeyIdentifier(rootKeyId),
      ext.keyUsage(['keyCertSign', 'cRLSign']),
    ],
    signerKey: rootKeys.privateKey,
  });

  const issuingSpki = spkiOf(issuingKeys.publicKey);
  const issuingKeyId = keyIdentifier(issuingSpki);
  const issuingDer = buildCertificate({
    serial: randomCertificateSerial(randomBytes),
    issuer: rootName,
    subject: encodeName(ISSUING_CA_NAME),
    notBefore,
    notAfter: addYears(notBefore, 10),
    spki: issuingSpki,
    extensions: [
      ext.basicConstraints(true, 0),
      ext.authorityKeyIdentifier(rootKeyId),
      ext.authorityInfoAccess(`${SANDBOX_HOST}/root-ca.crt`),
      ext.certificatePolicies([{ oid: '2.5.29.32.0', cps: `${SANDBOX_HOST}/cps/` }]),
      ext.extKeyUsageClientAuth(),
      ext.crlDistributionPoint(`${SANDBOX_HOST}/root-ca.crl`),
      ext.subjectKeyIdentifier(issuingKeyId),
      ext.keyUsage(['keyCertSign', 'cRLSign']),
    ],
    signerKey: rootKeys.privateKey,
  });

  return {
    root: toCa(ROOT_CA_NAME, rootDer, rootKeys.privateKey),
    issuing: toCa(ISSUING_CA_NAME, issuingDer, issuingKeys.privateKey),
  };
}

function toCa(name: readonly NameAttribute[], certDer: Uint8Array, privateKey: KeyObject): SandboxCa {
  const spki = spkiOf(createPublicKey(privateKey));
  return { name, certDer, certPem: toPem('CERTIFICATE', certDer), privateKey, keyId: keyIdentifier(spki) };
}

interface CaFile {
  format: typeof CA_FILE_FORMAT;
  root: { certPem: string; keyPem: string };
  issuing: { certPem: string; keyPem: string };
}

function readCa(file: CaFile): { root: SandboxCa; issuing: SandboxCa } {
  return {
    root: toCa(ROOT_CA_NAME, fromPem(file.root.certPem), createPrivateKey(file.root.keyPem)),
    issuing: toCa(ISSUING_CA_NAME, fromPem(file.issuing.certPem), createPrivateKey(file.issuing.keyPem)),
  };
}

function caFileOf(ca: { root: SandboxCa; issuing: SandboxCa }): CaFile {
  const keyPem = (k: KeyObject) => String(k.export({ type: 'pkcs8', format: 'pem' }));
  return {
    format: CA_FILE_FORMAT,
    root: { certPem: ca.root.certPem, keyPem: keyPem(ca.root.privateKey) },
    issuing: { certPem: ca.issuing.certPem, keyPem: keyPem(ca.issuing.privateKey) },
  };
}

/** Load the CA from `dir`, or create (and, with a directory, persist) a new one. */
export async function loadOrCreatePki(opts: { dir: string | undefined; now: () => Date }): Promise<SandboxPki> {
  const { dir } = opts;
  let ca: { root: SandboxCa; issuing: SandboxCa } | undefined;
  if (dir) {
    const stored = await readJsonFile<CaFile>(dir, CA_FILE);
    if (stored && stored.format === CA_FILE_FORMAT) ca = readCa(stored);
  }
  if (!ca) {
    ca = await createCa(opts.now());
    if (dir) {
      await writeFileAtomic(dir, CA_FILE, JSON.stringify(caFileOf(ca), null, 2), 0o600);
    }
  }
  if (dir) await writeFileAtomic(dir, ROOT_PEM_FILE, ca.root.certPem, 0o644);
  return makePki(ca);
}

function makePki(ca: { root: SandboxCa; issuing: SandboxCa }): SandboxPki {
  const issuerName = encodeName(ca.issuing.name);
  return {
    root: ca.root,
    issuing: ca.issuing,
    rootCaPem: ca.root.certPem,
    issuingCaPem: ca.issuing.certPem,
    issueUserCertificate(input) {
      const spki = spkiOf(input.publicKey);
      const notBefore = new Date(Math.floor(input.notBefore.getTime() / 1000) * 1000);
      return buildCertificate({
        serial: randomCertificateSerial(randomBytes),
        issuer: issuerName,
        subject: encodeName(userCertificateName(input.mobileIdSerial)),
        notBefore,
        notAfter: new Date(addYears(notBefore, 3).getTime() - 1000),
        spki,
        extensions: [
          ext.authorityKeyIdentifier(ca.issuing.keyId),
          ext.authorityInfoAccess(`${SANDBOX_HOST}/issuing-ca.crt`, `${SANDBOX_HOST}/ocsp`),
          ext.certificatePolicies(USER_POLICIES),
          ext.extKeyUsageClientAuth(),
          ext.crlDistributionPoint(`${SANDBOX_HOST}/issuing-ca.crl`),
          ext.subjectKeyIdentifier(keyIdentifier(spki)),
          ext.keyUsage(input.algorithm === 'RSA' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature']),
        ],
        signerKey: ca.issuing.privateKey,
      });
    },
  };
}
