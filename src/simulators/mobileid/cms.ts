/**
 * CMS SignedData (RFC 5652) shaped like the real Mobile ID signatures:
 * BER indefinite-length ContentInfo / SignedData / certificates, eContentType id-data with the
 * DTBD (UTF-8) encapsulated, SHA-256, signed attributes contentType, id-aa-randomNonce and
 * messageDigest (no signingTime), ecdsa-with-SHA256 or sha256WithRSAEncryption (both with NULL
 * parameters as in the recorded blob), and the whole chain (user, issuing CA, root) embedded.
 */
import { createHash, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';

import {
  concat,
  derNull,
  explicit,
  indefinite,
  octetString,
  oid,
  sequence,
  setOf,
  smallInteger,
  TAG,
} from './der.js';
import type { KeyAlgorithm } from './pki.js';
import { certificateNames } from './x509.js';

export const CMS_OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  randomNonce: '1.2.840.113549.1.9.25.3',
  sha256: '2.16.840.1.101.3.4.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
} as const;

export interface SignedDataInput {
  /** The text the person confirmed (DTBD); signed as its UTF-8 bytes. */
  content: string;
  signerKey: KeyObject;
  algorithm: KeyAlgorithm;
  /** User certificate first, then issuing CA and root. */
  certificates: readonly Uint8Array[];
}

const attribute = (type: string, value: Uint8Array): Uint8Array => sequence(oid(type), setOf(value));

/** Build the BER-encoded ContentInfo of a SignedData over `content`. */
export function buildSignedData(input: SignedDataInput): Uint8Array {
  const [signerCert] = input.certificates;
  if (!signerCert) throw new Error('buildSignedData needs the signer certificate');
  const content = new TextEncoder().encode(input.content);
  const sha256 = sequence(oid(CMS_OID.sha256), derNull());

  const signedAttributes = setOf(
    attribute(CMS_OID.contentType, oid(CMS_OID.data)),
    attribute(CMS_OID.randomNonce, octetString(randomBytes(8))),
    attribute(CMS_OID.messageDigest, octetString(createHash('sha256').update(content).digest())),
  );
  const signature =
    input.algorithm === 'EC'
      ? cryptoSign('sha256', signedAttributes, { key: input.signerKey, dsaEncoding: 'der' })
      : cryptoSign('sha256', signedAttributes, input.signerKey);
  const signatureAlgorithm = sequence(
    oid(input.algorithm === 'EC' ? CMS_OID.ecdsaWithSha256 : CMS_OID.sha256WithRsa),
    derNull(),
  );

  const { issuer, serial } = certificateNames(signerCert);
  // signedAttrs is [0] IMPLICIT SET OF: same contents, context tag instead of SET.
  const implicitAttributes = concat([Uint8Array.of(0xa0), signedAttributes.subarray(1)]);
  const signerInfo = sequence(
    smallInteger(1),
    sequence(issuer, serial),
    sha256,
    implicitAttributes,
    signatureAlgorithm,
    octetString(signature),
  );

  const signedData = indefinite(
    TAG.SEQUENCE,
    smallInteger(1),
    setOf(sha256),
    sequence(oid(CMS_OID.data), explicit(0, octetString(content))),
    indefinite(0xa0, ...input.certificates),
    setOf(signerInfo),
  );
  return indefinite(TAG.SEQUENCE, oid(CMS_OID.signedData), indefinite(0xa0, signedData));
}
