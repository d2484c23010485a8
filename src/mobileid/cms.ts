/**
 * Verification of the Mobile ID signature (CMS SignedData, RFC 5652) before anyone is logged in.
 *
 * Checks, in this order, each failure being MobileIdError `signature_invalid` (502) whose detail
 * starts with the check that failed:
 *   format      Base64 → ContentInfo → SignedData, one signer: well-formed BER throughout (indefinite
 *               lengths accepted), nothing after it; each certificate DER and consistent (ber.ts);
 *               versions that match the SignerIdentifier; digestAlgorithms names the signer's
 *   content     encapsulated id-data content equals, byte for byte, the UTF-8 DTBD we sent
 *   signer      signer certificate found in the CMS by its SignerIdentifier, byte for byte
 *   algorithm   digest and signature algorithms are ones we accept (SHA-1 only on request), with
 *               the parameters their specifications give them
 *   attributes  signed attributes present; content-type is id-data; messageDigest matches
 *   signature   the signature over the signed attributes verifies (ECDSA, RSA PKCS#1 v1.5, PSS)
 *   certificate the signer certificate is valid at `now`, is not a CA, may sign, has a strong key
 *   chain       a path from the signer certificate to a configured trust anchor verifies at `now`;
 *               every other certificate of the CMS is on it, is a trust anchor, or is verified
 *
 * Whatever asn1js or pkijs throw on input they did not expect is a `signature_invalid` too, named
 * after the check that was under way.
 *
 * Certificates are parsed, and chains validated, once per distinct certificate and chain
 * (`certificate-cache.ts`); the signature itself is checked at every verification.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

import {
  CertificateStore,
  defaultTrustAnchors,
  describeCertificate,
  distinguishedName,
  extensionValue,
  isCaCertificate,
  pkiCrypto,
  publicKeyInfo,
  sameCertificate,
  type CertificateInfo,
} from './certificates.js';
import {
  berProblem,
  certificateProblem,
  ecdsaSignatureProblem,
  outlineSignedData,
  type AlgorithmOutline,
  type PlainSignedData,
  type SignedDataOutline,
} from './ber.js';
import { cachedCertificate, fingerprint, knownChain, rememberChain } from './certificate-cache.js';
import { localError, MobileIdError } from './errors.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  keyUsage: '2.5.29.15',
  subjectKeyIdentifier: '2.5.29.14',
} as const;

const DIGESTS: Readonly<Record<string, string>> = {
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
  '1.3.14.3.2.26': 'SHA-1',
};

const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.113549.1.1.1': 'rsaEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
};
const SHA1_SIGNATURE = '1.2.840.113549.1.1.5';
const RSASSA_PSS = '1.2.840.113549.1.1.10';
const MGF1 = '1.2.840.113549.1.1.8';
const isEcdsa = (oid: string): boolean => oid.startsWith('1.2.840.10045.4.3.');

/** Largest Base64Signature we look at (the real ones are about 9 KB). */
const MAX_BASE64_LENGTH = 64 * 1024;

export interface VerifyCmsOptions {
  /** The DataToBeDisplayed of our request; the signed content must be exactly this. */
  expectedDtbd: string;
  /** Trust anchors; default Swisscom Root CA 2 and 4. */
  trustAnchors?: CertificateStore;
  /** Intermediates beyond those embedded in the CMS. */
  intermediates?: CertificateStore;
  /** The time at which certificates must be valid (injectable clock). */
  now?: Date;
  /** Accept SHA-1 digests (only old TEST signatures use it). Default false. */
  allowSha1?: boolean;
}

export interface VerifiedSignature {
  /** The signed text (equal to `expectedDtbd`). */
  content: string;
  signer: CertificateInfo;
  /** Subject serialNumber of the signer, e.g. MIDCHEO16P1O6E92 (4.2). */
  mobileIdSerial: string | undefined;
  digestAlgorithm: string;
  signatureAlgorithm: string;
  /** Subjects from the signer up to the trust anchor. */
  chain: string[];
}

type Check = 'format' | 'content' | 'signer' | 'algorithm' | 'attributes' | 'signature' | 'certificate' | 'chain';

function fail(check: Check, detail: string, cause?: unknown): MobileIdError {
  return localError('signature_invalid', 502, `${check}: ${detail}`, cause === undefined ? {} : { cause });
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : typeof e === 'string' ? e : 'unknown error');

/**
 * Strict Base64 (RFC 4648 section 4, padding optional, whitespace such as line breaks ignored).
 * Node's decoder skips what is not Base64 (and reads base64url too), so the bytes are encoded
 * again and must give the same text: a string of several kilobytes is checked natively, where a
 * regular expression over it cost a tenth of a verification.
 */
function decodeBase64(input: string): Uint8Array<ArrayBuffer> {
  const decoded = strictBase64(input) ?? strictBase64(input.replace(/\s+/g, ''));
  if (decoded) return decoded;
  const compact = input.replace(/\s+/g, '');
  if (compact.length === 0) throw fail('format', 'Base64Signature is empty');
  if (compact.length > MAX_BASE64_LENGTH) throw fail('format', 'Base64Signature is too large');
  throw fail('format', 'Base64Signature is not Base64');
}

function strictBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.length === 0 || text.length > MAX_BASE64_LENGTH) return undefined;
  const bytes = Buffer.from(text, 'base64');
  const again = bytes.toString('base64');
  // Without its padding, the text must be the encoding's prefix, and only the padding may follow.
  const unpadded = text.endsWith('==') ? text.slice(0, -2) : text.endsWith('=') ? text.slice(0, -1) : text;
  if (again.length !== unpadded.length + ((4 - (unpadded.length % 4)) % 4) || !again.startsWith(unpadded)) return undefined;
  if (unpadded.length !== text.length && again.length !== text.length) return undefined;
  // A copy: the decoder may have written into Node's shared pool, and the parsers read `.buffer`.
  return new Uint8Array(bytes);
}

/** The parsed SignedData, and its certificates (parsed once per distinct certificate, see certificate-cache.ts). */
interface ParsedSignedData {
  sd: pkijs.SignedData;
  certificates: pkijs.Certificate[];
}

const isContextTag = (block: asn1js.AsnType, tag: number): boolean => block.idBlock.tagClass === 3 && block.idBlock.tagNumber === tag;

/**
 * The bytes are first walked as BER (ber.ts): asn1js reads past a wrong length, a misplaced
 * end-of-contents or bytes after the end, and pkijs then finds what it looks for, so a signature
 * changed there would verify; and asn1js and pkijs may throw plain errors, named `format` here.
 */
function parseSignedData(der: Uint8Array<ArrayBuffer>): ParsedSignedData {
  const problem = berProblem(der);
  if (problem) throw fail('format', `not well-formed BER: ${problem}`);
  try {
    const outline = outlineSignedData(der);
    return outline ? fromOutline(outline) : parseWhole(der);
  } catch (cause) {
    if (cause instanceof MobileIdError) throw cause;
    throw fail('format', `SignedData cannot be parsed (${errorText(cause)})`, cause);
  }
}

/** A certificate of the CMS, checked (certificateProblem) and parsed once per distinct encoding. */
function certificateOf(der: Uint8Array, index: number, parse: () => pkijs.Certificate): pkijs.Certificate {
  try {
    return cachedCertificate(der, () => {
      const problem = certificateProblem(der);
      if (problem) throw new Error(problem);
      return parse();
    });
  } catch (cause) {
    throw fail('format', `certificate #${index + 1} of the CMS is malformed (${errorText(cause)})`, cause);
  }
}

function signedDataOf(fields: asn1js.AsnType[], certificates: pkijs.Certificate[]): ParsedSignedData {
  let sd: pkijs.SignedData;
  try {
    sd = new pkijs.SignedData({ schema: new asn1js.Sequence({ value: fields }) });
  } catch (cause) {
    throw fail('format', `SignedData cannot be parsed (${errorText(cause)})`, cause);
  }
  sd.certificates = certificates;
  return { sd, certificates };
}

/**
 * The usual case: each certificate is parsed once per distinct certificate, and the other fields,
 * read from the outline (ber.ts), are handed to pkijs as they are: the signer named by the issuer
 * and serial number of one of the certificates, byte for byte, is given that certificate's; only
 * the small signed attributes and algorithm parameters go through asn1js. Otherwise asn1js decodes
 * the fields and pkijs reads each on its own. (Reading the SignedData as a whole would have pkijs
 * build and compare its full schema at every login, certificates and CRLs included, though the
 * outline has taken the certificates out: that cost more than all the rest of a verification.)
 * A SignedData with CRLs, or fields out of place, is read as a whole, which names what is wrong.
 */
function fromOutline(outline: SignedDataOutline): ParsedSignedData {
  const certificates = outline.certificates.map((bytes, i) => certificateOf(bytes, i, () => pkijs.Certificate.fromBER(bytes)));
  const plain = outline.plain && fromPlainFields(outline.plain, certificates);
  if (plain) return plain;
  const fields = outline.fields.map((bytes) => {
    const decoded = asn1js.fromBER(bytes);
    if (decoded.offset === -1) throw fail('format', `SignedData cannot be parsed (${decoded.result.error})`);
    return decoded.result;
  });
  const [version, digestAlgorithms, encapContentInfo, signerInfos, ...more] = fields;
  if (
    more.length > 0 ||
    !(version instanceof asn1js.Integer) ||
    !(digestAlgorithms instanceof asn1js.Set) ||
    !(encapContentInfo instanceof asn1js.Sequence) ||
    !(signerInfos instanceof asn1js.Set)
  ) {
    return signedDataOf(fields, certificates);
  }
  try {
    const sd = new pkijs.SignedData({
      version: version.valueBlock.valueDec,
      digestAlgorithms: digestAlgorithms.valueBlock.value.map((schema) => new pkijs.AlgorithmIdentifier({ schema })),
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ schema: encapContentInfo }),
      signerInfos: signerInfos.valueBlock.value.map((schema) => new pkijs.SignerInfo({ schema })),
      certificates,
    });
    return { sd, certificates };
  } catch (cause) {
    throw fail('format', `SignedData cannot be parsed (${errorText(cause)})`, cause);
  }
}

function algorithmIdentifier({ oid, parameters }: AlgorithmOutline): pkijs.AlgorithmIdentifier | undefined {
  if (!parameters) return new pkijs.AlgorithmIdentifier({ algorithmId: oid });
  const decoded = asn1js.fromBER(parameters);
  return decoded.offset === parameters.length ? new pkijs.AlgorithmIdentifier({ algorithmId: oid, algorithmParams: decoded.result }) : undefined;
}

/** The signed attributes (encoded as signed, a SET OF Attribute), as pkijs reads them. */
function signedAttributes(encoded: Uint8Array<ArrayBuffer>): pkijs.SignedAndUnsignedAttributes | undefined {
  const decoded = asn1js.fromBER(encoded);
  if (decoded.offset !== encoded.length || !(decoded.result instanceof asn1js.Set)) return undefined;
  const attributes: pkijs.Attribute[] = [];
  for (const element of decoded.result.valueBlock.value) {
    const [type, values, ...more] = element instanceof asn1js.Sequence ? element.valueBlock.value : [];
    if (more.length || !(type instanceof asn1js.ObjectIdentifier) || !(values instanceof asn1js.Set)) return undefined;
    attributes.push(new pkijs.Attribute({ type: type.valueBlock.toString(), values: values.valueBlock.value }));
  }
  return new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes, encodedValue: encoded.buffer.slice(encoded.byteOffset, encoded.byteOffset + encoded.byteLength) });
}

/** The SignedData from its plain fields, or undefined for the slower path (which also names what is wrong). */
function fromPlainFields(plain: PlainSignedData, certificates: pkijs.Certificate[]): ParsedSignedData | undefined {
  const digestAlgorithms: pkijs.AlgorithmIdentifier[] = [];
  for (const digest of plain.digestAlgorithms) {
    const identifier = algorithmIdentifier(digest);
    if (!identifier) return undefined;
    digestAlgorithms.push(identifier);
  }
  const signerInfos: pkijs.SignerInfo[] = [];
  for (const signer of plain.signers) {
    const certificate = certificates.find(
      (c) => Buffer.from(c.issuer.valueBeforeDecode).equals(signer.issuer) && Buffer.from(c.serialNumber.valueBlock.valueHexView).equals(signer.serialNumber),
    );
    const digestAlgorithm = algorithmIdentifier(signer.digestAlgorithm);
    const signatureAlgorithm = algorithmIdentifier(signer.signatureAlgorithm);
    const signedAttrs = signer.signedAttributes && signedAttributes(signer.signedAttributes);
    if (!certificate || !digestAlgorithm || !signatureAlgorithm || (signer.signedAttributes && !signedAttrs)) return undefined;
    signerInfos.push(
      new pkijs.SignerInfo({
        version: signer.version,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }),
        digestAlgorithm,
        ...(signedAttrs ? { signedAttrs } : {}),
        signatureAlgorithm,
        signature: new asn1js.OctetString({ valueHex: signer.signature }),
      }),
    );
  }
  const encapContentInfo = new pkijs.EncapsulatedContentInfo({
    eContentType: plain.contentType,
    ...(plain.content ? { eContent: new asn1js.OctetString({ valueHex: plain.content }) } : {}),
  });
  return { sd: new pkijs.SignedData({ version: plain.version, digestAlgorithms, encapContentInfo, signerInfos, certificates }), certificates };
}

/** Anything that has no plain outline: asn1js decodes it all (and says what is wrong with it). */
function parseWhole(der: Uint8Array<ArrayBuffer>): ParsedSignedData {
  let contentInfo: pkijs.ContentInfo;
  try {
    contentInfo = pkijs.ContentInfo.fromBER(der);
  } catch (cause) {
    throw fail('format', `not a CMS ContentInfo (${errorText(cause)})`, cause);
  }
  if (contentInfo.contentType !== pkijs.ContentInfo.SIGNED_DATA) {
    throw fail('format', `content type ${contentInfo.contentType} is not SignedData`);
  }
  const body: unknown = contentInfo.content;
  if (!(body instanceof asn1js.Sequence)) throw fail('format', 'SignedData is not a SEQUENCE');
  // The certificates ([0] IMPLICIT CertificateSet) are taken out and parsed one by one, each
  // once per distinct certificate; pkijs parses the rest of the SignedData.
  const certificateSets = body.valueBlock.value.filter((block) => isContextTag(block, 0));
  if (certificateSets.length > 1) throw fail('format', 'SignedData has more than one certificate set');
  // Other choices of CertificateChoices (attribute certificates...) are tagged; we use none of them,
  // and refuse them: left aside, a certificate whose tag was changed would go unnoticed.
  const blocks = certificateSets[0] instanceof asn1js.Constructed ? certificateSets[0].valueBlock.value : [];
  if (!blocks.every((block): block is asn1js.Sequence => block instanceof asn1js.Sequence)) {
    throw fail('format', 'the certificates hold something other than X.509 certificates');
  }
  const certificates = blocks.map((block, i) => certificateOf(new Uint8Array(block.valueBeforeDecodeView), i, () => new pkijs.Certificate({ schema: block })));
  return signedDataOf(
    body.valueBlock.value.filter((block) => !isContextTag(block, 0)),
    certificates,
  );
}

/** Octets of an OCTET STRING, primitive or constructed (BER segments). */
function octets(value: asn1js.OctetString): Uint8Array<ArrayBuffer> {
  if (!value.idBlock.isConstructed) return new Uint8Array(value.valueBlock.valueHexView);
  const parts = value.valueBlock.value.map((part) => {
    if (!(part instanceof asn1js.OctetString)) throw fail('format', 'constructed eContent holds a non-OCTET STRING segment');
    return octets(part);
  });
  return new Uint8Array(Buffer.concat(parts));
}

function signedContent(sd: pkijs.SignedData): Uint8Array<ArrayBuffer> {
  const info = sd.encapContentInfo;
  if (info.eContentType !== OID.data) throw fail('content', `encapsulated content type ${info.eContentType} is not id-data`);
  if (!info.eContent) throw fail('content', 'no encapsulated content (detached signature)');
  if (!(info.eContent instanceof asn1js.OctetString)) throw fail('format', 'eContent is not an OCTET STRING');
  return octets(info.eContent);
}

const bytesOf = (value: ArrayBuffer | Uint8Array): Buffer => Buffer.from(value instanceof Uint8Array ? value : new Uint8Array(value));

/** Name and serial number as encoded, byte for byte: pkijs's comparison of names overlooks, for one, the string type. */
const sameIssuerAndSerial = (c: pkijs.Certificate, sid: pkijs.IssuerAndSerialNumber): boolean =>
  c.issuer.valueBeforeDecode.byteLength > 0 &&
  bytesOf(c.issuer.valueBeforeDecode).equals(bytesOf(sid.issuer.valueBeforeDecode)) &&
  bytesOf(c.serialNumber.valueBlock.valueHexView).equals(bytesOf(sid.serialNumber.valueBlock.valueHexView));

function findSigner(certs: readonly pkijs.Certificate[], signerInfo: pkijs.SignerInfo): pkijs.Certificate {
  if (certs.length === 0) throw fail('signer', 'no certificates in the CMS');
  const sid = signerInfo.sid;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    const cert = certs.find((c) => sameIssuerAndSerial(c, sid));
    if (!cert) throw fail('signer', 'signer certificate (issuer and serial number) not in the CMS');
    return cert;
  }
  const keyId = Buffer.from(sidKeyIdentifier(sid));
  const cert = certs.find((c) => {
    const ski = extensionValue(c, OID.subjectKeyIdentifier);
    return ski instanceof asn1js.OctetString && Buffer.from(ski.valueBlock.valueHexView).equals(keyId);
  });
  if (keyId.length === 0 || !cert) throw fail('signer', 'signer certificate (subject key identifier) not in the CMS');
  return cert;
}

/** The key identifier of a `[0] SubjectKeyIdentifier` SignerIdentifier (implicit or explicit tagging). */
function sidKeyIdentifier(sid: unknown): Uint8Array {
  if (sid instanceof asn1js.Constructed) {
    const inner = sid.valueBlock.value[0];
    return inner instanceof asn1js.Primitive ? inner.valueBlock.valueHexView : new Uint8Array();
  }
  return sid instanceof asn1js.Primitive ? sid.valueBlock.valueHexView : new Uint8Array();
}

/**
 * The fields of the SignedData that no signature covers must agree with those it does:
 * - the SignerInfo version is 1 with an issuerAndSerialNumber and 3 with a subjectKeyIdentifier,
 *   and the SignedData version 1, or 3 with a version 3 SignerInfo (RFC 5652 5.1, 5.3: the other
 *   versions stand for certificates or content we do not accept);
 * - digestAlgorithms names the signer's digest algorithm (RFC 5652 5.1).
 */
function checkStructure(sd: pkijs.SignedData, signerInfo: pkijs.SignerInfo): void {
  const byKeyIdentifier = !(signerInfo.sid instanceof pkijs.IssuerAndSerialNumber);
  if (signerInfo.version !== (byKeyIdentifier ? 3 : 1)) {
    throw fail('format', `SignerInfo version ${signerInfo.version} does not fit its ${byKeyIdentifier ? 'subjectKeyIdentifier' : 'issuerAndSerialNumber'}`);
  }
  if (sd.version !== signerInfo.version) throw fail('format', `SignedData version ${sd.version} does not fit its SignerInfo`);
  const digest = signerInfo.digestAlgorithm;
  if (!sd.digestAlgorithms.some((a) => a.algorithmId === digest.algorithmId && sameParameters(a, digest))) {
    throw fail('format', `digestAlgorithms does not name the signer's digest algorithm ${digest.algorithmId}`);
  }
}

/** Parameters absent or NULL (equivalent for digests, RFC 5754 2): no parameters. */
const noParameters = (a: pkijs.AlgorithmIdentifier): boolean =>
  a.algorithmParams === undefined || a.algorithmParams instanceof asn1js.Null || a.algorithmParams instanceof asn1js.Any;

function sameParameters(a: pkijs.AlgorithmIdentifier, b: pkijs.AlgorithmIdentifier): boolean {
  if (noParameters(a) || noParameters(b)) return noParameters(a) && noParameters(b);
  return bytesOf(a.algorithmParams.toBER(false)).equals(bytesOf(b.algorithmParams.toBER(false)));
}

/**
 * The parameters of the signer's algorithms are what their specifications give them, since no
 * signature covers them and pkijs reads only some: none (or NULL) for the digests (RFC 5754 2),
 * for ECDSA (RFC 5758 3.2; the service sends NULL) and for RSA PKCS#1 v1.5 (RFC 4055 5); for
 * RSASSA-PSS, the digest algorithm's hash, MGF1 with that hash and trailer field 1 (RFC 4056 3).
 */
function checkAlgorithmParameters(signerInfo: pkijs.SignerInfo): void {
  const digest = signerInfo.digestAlgorithm;
  if (!noParameters(digest)) throw fail('algorithm', `digest algorithm ${digest.algorithmId} has parameters`);
  const algorithm = signerInfo.signatureAlgorithm;
  if (algorithm.algorithmId !== RSASSA_PSS) {
    if (!noParameters(algorithm)) throw fail('algorithm', `signature algorithm ${algorithm.algorithmId} has parameters`);
    return;
  }
  let params: pkijs.RSASSAPSSParams;
  try {
    params = new pkijs.RSASSAPSSParams({ schema: algorithm.algorithmParams });
  } catch (cause) {
    throw fail('algorithm', `RSASSA-PSS parameters cannot be parsed (${errorText(cause)})`, cause);
  }
  const mgf = params.maskGenAlgorithm;
  const mgfHash: unknown = mgf.algorithmParams;
  if (
    params.hashAlgorithm.algorithmId !== digest.algorithmId ||
    mgf.algorithmId !== MGF1 ||
    !(mgfHash instanceof asn1js.Sequence) ||
    new pkijs.AlgorithmIdentifier({ schema: mgfHash }).algorithmId !== digest.algorithmId ||
    params.trailerField !== 1
  ) {
    throw fail('algorithm', 'RSASSA-PSS parameters do not use the digest algorithm with MGF1 and trailer field 1');
  }
}

function singleAttribute(signerInfo: pkijs.SignerInfo, type: string): asn1js.AsnType {
  const matches = signerInfo.signedAttrs?.attributes.filter((a) => a.type === type) ?? [];
  if (matches.length !== 1) throw fail('attributes', `expected exactly one ${type} signed attribute, found ${matches.length}`);
  const values = matches[0]?.values ?? [];
  if (values.length !== 1 || values[0] === undefined) throw fail('attributes', `signed attribute ${type} must have exactly one value`);
  return values[0];
}

async function checkSignedAttributes(signerInfo: pkijs.SignerInfo, content: Uint8Array<ArrayBuffer>, digestName: string): Promise<void> {
  if (!signerInfo.signedAttrs || signerInfo.signedAttrs.attributes.length === 0) {
    throw fail('attributes', 'no signed attributes');
  }
  const contentType = singleAttribute(signerInfo, OID.contentType);
  if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.valueBlock.toString() !== OID.data) {
    throw fail('attributes', 'content-type attribute is not id-data');
  }
  const digest = singleAttribute(signerInfo, OID.messageDigest);
  if (!(digest instanceof asn1js.OctetString)) throw fail('attributes', 'messageDigest attribute is not an OCTET STRING');
  const actual = Buffer.from(await pkiCrypto.digest(digestName, content));
  if (!actual.equals(Buffer.from(digest.valueBlock.valueHexView))) {
    throw fail('attributes', 'messageDigest attribute does not match the signed content');
  }
}

async function checkSignature(sd: pkijs.SignedData, signerInfo: pkijs.SignerInfo, now: Date): Promise<void> {
  // pkijs reads an ECDSA signature with asn1js, which overlooks some malformed encodings.
  if (isEcdsa(signerInfo.signatureAlgorithm.algorithmId)) {
    const problem = ecdsaSignatureProblem(signerInfo.signature.valueBlock.valueHexView);
    if (problem) throw fail('signature', `the ECDSA signature value is malformed (${problem})`);
  }
  let verified: boolean | null | undefined;
  try {
    const result = await sd.verify({ signer: 0, checkChain: false, extendedMode: true, checkDate: now }, pkiCrypto);
    verified = result.signatureVerified;
  } catch (cause) {
    throw fail('signature', `verification error (${errorText(cause)})`, cause);
  }
  if (verified !== true) throw fail('signature', 'the signature does not verify with the signer certificate key');
}

function checkSignerCertificate(cert: pkijs.Certificate, now: Date): void {
  const info = describeCertificate(cert);
  if (now < info.notBefore) throw fail('certificate', `signer certificate not valid before ${info.notBefore.toISOString()}`);
  if (now > info.notAfter) throw fail('certificate', `signer certificate expired on ${info.notAfter.toISOString()}`);
  if (isCaCertificate(cert)) throw fail('certificate', 'signer certificate is a CA certificate');
  const keyUsage = extensionValue(cert, OID.keyUsage);
  if (keyUsage instanceof asn1js.BitString) {
    const first = keyUsage.valueBlock.valueHexView[0] ?? 0;
    // digitalSignature (bit 0) or nonRepudiation (bit 1)
    if ((first & 0xc0) === 0) throw fail('certificate', 'signer certificate key usage allows no signatures');
  }
  const key = publicKeyInfo(cert);
  const strong =
    (key.algorithm === 'EC' && (key.size === 'P-256' || key.size === 'P-384' || key.size === 'P-521')) ||
    (key.algorithm === 'RSA' && typeof key.size === 'number' && key.size >= 2048);
  if (!strong) throw fail('certificate', `signer key ${key.keyType} is not accepted`);
}

async function checkChain(
  certificates: readonly pkijs.Certificate[],
  signer: pkijs.Certificate,
  anchors: CertificateStore,
  extra: CertificateStore | undefined,
  now: Date,
): Promise<pkijs.Certificate[]> {
  if (anchors.size === 0) throw fail('chain', 'no trust anchors configured');
  if (anchors.certificates.some((a) => sameCertificate(a, signer))) {
    throw fail('chain', 'the signer certificate itself is configured as a trust anchor');
  }
  // A chain is remembered under every certificate offered, not only the candidates of its path,
  // so that it stands for the check of the other certificates of the CMS too.
  const offered = [...certificates, ...(extra?.certificates ?? [])];
  const known = knownChain(anchors, signer, offered, now);
  if (known) return known;
  // A certificate that is a trust anchor byte for byte (the root the service embeds) is left out:
  // the engine would check the path through it as well as through the anchor.
  const anchorPrints = new Set(anchors.certificates.map(fingerprint));
  const candidates = offered.filter((c) => !sameCertificate(c, signer) && isCaCertificate(c) && !anchorPrints.has(fingerprint(c)));
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: [...anchors.certificates],
    // The engine takes the last certificate as the one to validate.
    certs: [...candidates, signer],
    checkDate: now,
  });
  let result: pkijs.CertificateChainValidationEngineVerifyResult;
  try {
    result = await engine.verify({}, pkiCrypto);
  } catch (cause) {
    throw fail('chain', `validation error (${errorText(cause)})`, cause);
  }
  if (result.result !== true) throw fail('chain', result.resultMessage || 'no valid path to a trust anchor');
  const path = result.certificatePath ?? [];
  const first = path[0];
  const last = path[path.length - 1];
  if (path.length < 2 || !first || !last || !sameCertificate(first, signer)) {
    throw fail('chain', 'the validated path does not start at the signer certificate');
  }
  if (!anchors.certificates.some((a) => sameCertificate(a, last))) {
    throw fail('chain', 'the validated path does not end at a trust anchor');
  }
  await checkOtherCertificates(certificates, path, anchors, offered);
  rememberChain(anchors, signer, offered, path);
  return path;
}

/**
 * Every certificate of the CMS is on the validated path, or is a trust anchor byte for byte (the
 * root the service embeds), or carries a signature that a certificate named as its issuer, of the
 * CMS, the intermediates or the anchors, verifies. pkijs leaves aside a certificate it does not
 * need, so a changed copy of one would pass unnoticed; a certificate that no one at hand vouches
 * for is refused as well, since nothing tells it from a changed one.
 */
async function checkOtherCertificates(
  certificates: readonly pkijs.Certificate[],
  path: readonly pkijs.Certificate[],
  anchors: CertificateStore,
  offered: readonly pkijs.Certificate[],
): Promise<void> {
  const vouched = new Set([...path, ...anchors.certificates].map(fingerprint));
  const issuers = [...offered, ...anchors.certificates];
  for (const [i, cert] of certificates.entries()) {
    if (vouched.has(fingerprint(cert))) continue;
    const issuerName = bytesOf(cert.issuer.valueBeforeDecode);
    let verified = false;
    for (const issuer of issuers.filter((c) => bytesOf(c.subject.valueBeforeDecode).equals(issuerName))) {
      try {
        verified = await cert.verify(issuer, pkiCrypto);
      } catch {
        verified = false;
      }
      if (verified) break;
    }
    if (!verified) {
      throw fail('chain', `certificate #${i + 1} of the CMS (${distinguishedName(cert.subject)}) is not on the path, not a trust anchor, and not verified by its issuer`);
    }
  }
}

/**
 * Verify a Mobile ID `Base64Signature` against the DTBD we sent.
 * Resolves with the signer's details; rejects with MobileIdError `signature_invalid`.
 */
export async function verifyCmsSignature(base64Signature: string, options: VerifyCmsOptions): Promise<VerifiedSignature> {
  const progress: Progress = { check: 'format' };
  try {
    return await verify(base64Signature, options, progress);
  } catch (cause) {
    if (cause instanceof MobileIdError) throw cause;
    throw fail(progress.check, `unexpected error (${errorText(cause)})`, cause);
  }
}

/** The check under way, for errors that the libraries throw. */
interface Progress {
  check: Check;
}

async function verify(base64Signature: string, options: VerifyCmsOptions, progress: Progress): Promise<VerifiedSignature> {
  const now = options.now ?? new Date();
  if (Number.isNaN(now.getTime())) throw fail('certificate', 'verification time is not a valid date');
  const { sd, certificates } = parseSignedData(decodeBase64(base64Signature));
  if (sd.signerInfos.length !== 1) throw fail('format', `expected one signer, found ${sd.signerInfos.length}`);
  const signerInfo = sd.signerInfos[0] as pkijs.SignerInfo;
  checkStructure(sd, signerInfo);

  progress.check = 'content';
  const content = signedContent(sd);
  if (!Buffer.from(content).equals(Buffer.from(options.expectedDtbd, 'utf8'))) {
    throw fail('content', 'the signed content is not the DTBD of the request');
  }

  progress.check = 'signer';
  const signer = findSigner(certificates, signerInfo);

  progress.check = 'algorithm';
  const digestOid = signerInfo.digestAlgorithm.algorithmId;
  const digestName = DIGESTS[digestOid];
  if (!digestName || (digestName === 'SHA-1' && !options.allowSha1)) {
    throw fail('algorithm', `digest algorithm ${digestName ?? digestOid} is not accepted`);
  }
  const signatureOid = signerInfo.signatureAlgorithm.algorithmId;
  const signatureName = SIGNATURE_ALGORITHMS[signatureOid];
  if (!signatureName || (signatureOid === SHA1_SIGNATURE && !options.allowSha1)) {
    throw fail('algorithm', `signature algorithm ${signatureName ?? signatureOid} is not accepted`);
  }
  checkAlgorithmParameters(signerInfo);

  progress.check = 'attributes';
  await checkSignedAttributes(signerInfo, content, digestName);
  progress.check = 'signature';
  await checkSignature(sd, signerInfo, now);
  progress.check = 'certificate';
  checkSignerCertificate(signer, now);
  progress.check = 'chain';
  const path = await checkChain(certificates, signer, options.trustAnchors ?? defaultTrustAnchors(), options.intermediates, now);

  const info = describeCertificate(signer);
  return {
    content: options.expectedDtbd,
    signer: info,
    mobileIdSerial: info.subjectSerialNumber,
    digestAlgorithm: digestName,
    signatureAlgorithm: signatureName,
    chain: path.map((c) => distinguishedName(c.subject)),
  };
}
