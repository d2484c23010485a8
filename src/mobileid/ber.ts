/**
 * The outline of a CMS SignedData (RFC 5652) read straight from its BER bytes: where each field
 * of the SignedData and each embedded certificate begins and ends, without decoding them; and,
 * when the SignedData has the plain shape of a Mobile ID signature, the parts of its content and
 * of its signers the verification needs.
 *
 * asn1js decodes every byte it is given into objects, and pkijs then compares them with its
 * schemas: for the fields of a signature that cost more than checking it. Most bytes of a Mobile ID
 * signature are its three certificates, which the verification parses once per distinct
 * certificate anyway (certificate-cache.ts), and the rest is read here. Anything unexpected
 * (another content type, a malformed length, high tag numbers) yields no outline, or no plain
 * parts, and the caller decodes with asn1js and pkijs as before, which also names what is wrong.
 *
 * Before any of that, `berProblem` walks every element of the signature and refuses what is not
 * well-formed BER, `certificateProblem` what is not a DER certificate: asn1js reads past a wrong
 * length, a missing or extra end-of-contents, or bytes after the end, and pkijs then finds the
 * fields it looks for; a signature changed in such a place would otherwise still verify.
 */

interface Tlv {
  tagClass: number;
  constructed: boolean;
  tagNumber: number;
  /** Offsets into the buffer: the element, and its contents (without the end-of-contents octets). */
  start: number;
  contentStart: number;
  contentEnd: number;
  end: number;
}

const UNIVERSAL = 0;
const CONTEXT = 2;
const END_OF_CONTENTS = 0;
const BOOLEAN = 1;
const INTEGER = 2;
const BIT_STRING = 3;
const OCTET_STRING = 4;
const NULL = 5;
const OBJECT_IDENTIFIER = 6;
const ENUMERATED = 10;
const SEQUENCE = 16;
const SET = 17;
/** DER of the OBJECT IDENTIFIER 1.2.840.113549.1.7.2 (id-signedData). */
const SIGNED_DATA_OID = Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02);
/** Nesting deeper than this inside an indefinite length is not what a signature looks like. */
const MAX_DEPTH = 32;

function readTlv(b: Uint8Array, offset: number, limit: number, depth = 0): Tlv | undefined {
  if (depth > MAX_DEPTH || offset + 2 > limit) return undefined;
  const first = b[offset]!;
  const tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) return undefined;
  const constructed = (first & 0x20) !== 0;
  let p = offset + 1;
  const lengthByte = b[p++]!;
  if (lengthByte === 0x80) {
    if (!constructed) return undefined;
    const contentStart = p;
    while (p + 2 <= limit && !(b[p] === 0 && b[p + 1] === 0)) {
      const child = readTlv(b, p, limit, depth + 1);
      if (!child) return undefined;
      p = child.end;
    }
    if (p + 2 > limit) return undefined;
    return { tagClass: first >> 6, constructed, tagNumber, start: offset, contentStart, contentEnd: p, end: p + 2 };
  }
  let length = lengthByte;
  if (lengthByte > 0x80) {
    const n = lengthByte & 0x7f;
    if (n > 4 || p + n > limit) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + b[p++]!;
  }
  const end = p + length;
  if (end > limit) return undefined;
  return { tagClass: first >> 6, constructed, tagNumber, start: offset, contentStart: p, contentEnd: end, end };
}

function children(b: Uint8Array, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let p = parent.contentStart; p < parent.contentEnd; ) {
    const child = readTlv(b, p, parent.contentEnd);
    if (!child) return undefined;
    out.push(child);
    p = child.end;
  }
  return out;
}

const is = (t: Tlv | undefined, tagClass: number, tagNumber: number, constructed: boolean): t is Tlv =>
  t !== undefined && t.tagClass === tagClass && t.tagNumber === tagNumber && t.constructed === constructed;

// ---------------------------------------------------------------------------------------------
// Well-formedness
// ---------------------------------------------------------------------------------------------

class Malformed {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {}
}

/** Universal types whose encoding is always primitive (X.690 8.2, 8.3, 8.4, 8.8, 8.19). */
const ALWAYS_PRIMITIVE: ReadonlySet<number> = new Set([BOOLEAN, INTEGER, ENUMERATED, NULL, OBJECT_IDENTIFIER]);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The contents rules of X.690 8 for the universal primitives a signature holds (and 11.1 for DER's BOOLEAN). */
function checkPrimitive(b: Uint8Array, tagNumber: number, start: number, end: number, der: boolean, offset: number): void {
  const length = end - start;
  switch (tagNumber) {
    case BOOLEAN:
      if (length !== 1 || (der && b[start] !== 0 && b[start] !== 0xff)) throw new Malformed('malformed BOOLEAN', offset);
      return;
    case INTEGER:
    case ENUMERATED:
      // 8.3.2: the first nine bits are neither all zero nor all one.
      if (length === 0 || (length > 1 && ((b[start] === 0 && b[start + 1]! < 0x80) || (b[start] === 0xff && b[start + 1]! >= 0x80)))) {
        throw new Malformed('INTEGER not in its shortest form', offset);
      }
      return;
    case NULL:
      if (length !== 0) throw new Malformed('NULL with contents', offset);
      return;
    case OBJECT_IDENTIFIER:
      // 8.19.2: the last octet ends a subidentifier, and none begins with 0x80.
      if (length === 0 || b[end - 1]! >= 0x80) throw new Malformed('malformed OBJECT IDENTIFIER', offset);
      for (let i = start; i < end; i++) {
        if (b[i] === 0x80 && (i === start || b[i - 1]! < 0x80)) throw new Malformed('malformed OBJECT IDENTIFIER', offset);
      }
      return;
    case BIT_STRING:
      if (length === 0 || b[start]! > 7 || (length === 1 && b[start] !== 0)) throw new Malformed('malformed BIT STRING', offset);
      return;
    default:
  }
}

/**
 * Check the element at `offset`, and every element inside it; return where it ends.
 *
 * BER as X.690 8 has it, with one restriction: a definite length is in its shortest form (10.1),
 * as every encoder of signatures writes it, so that one length has one encoding. Indefinite lengths
 * (which the Mobile ID service uses) and constructed strings are BER. `der` adds the rules of DER
 * (X.690 10, 11): definite lengths only, strings primitive, BOOLEAN 00 or FF.
 */
function walk(b: Uint8Array, offset: number, limit: number, der: boolean, depth: number): number {
  if (depth > MAX_DEPTH) throw new Malformed('nested too deeply', offset);
  if (offset + 2 > limit) throw new Malformed('element cut short', offset);
  const first = b[offset]!;
  const tagClass = first >> 6;
  const constructed = (first & 0x20) !== 0;
  const tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) throw new Malformed('high tag number', offset);
  if (tagClass === UNIVERSAL) {
    if (tagNumber === END_OF_CONTENTS) throw new Malformed('end-of-contents out of place', offset);
    if (tagNumber === SEQUENCE || tagNumber === SET) {
      if (!constructed) throw new Malformed('primitive SEQUENCE or SET', offset);
    } else if (constructed && (der || ALWAYS_PRIMITIVE.has(tagNumber))) {
      throw new Malformed('constructed encoding of a primitive type', offset);
    }
  }
  let p = offset + 1;
  const lengthByte = b[p++]!;
  if (lengthByte === 0x80) {
    if (der || !constructed) throw new Malformed('indefinite length', offset);
    for (;;) {
      if (p + 2 > limit) throw new Malformed('no end-of-contents', offset);
      if (b[p] === 0 && b[p + 1] === 0) return p + 2;
      p = walk(b, p, limit, der, depth + 1);
    }
  }
  let length = lengthByte;
  if (lengthByte > 0x80) {
    const n = lengthByte & 0x7f;
    if (n > 4) throw new Malformed('length of more than four octets', offset);
    if (p + n > limit) throw new Malformed('element cut short', offset);
    if (b[p] === 0 || (n === 1 && b[p]! < 0x80)) throw new Malformed('length not in its shortest form', offset);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + b[p++]!;
  }
  const end = p + length;
  if (end > limit) throw new Malformed('length beyond the enclosing element', offset);
  if (constructed) {
    for (let q = p; q < end; ) q = walk(b, q, end, der, depth + 1);
  } else if (tagClass === UNIVERSAL) {
    checkPrimitive(b, tagNumber, p, end, der, offset);
  }
  return end;
}

function problemOf(b: Uint8Array, der: boolean): string | undefined {
  try {
    const end = walk(b, 0, b.length, der, 0);
    return end === b.length ? undefined : `${b.length - end} bytes after the end (byte ${end})`;
  } catch (e) {
    if (e instanceof Malformed) return `${e.reason} (byte ${e.offset})`;
    throw e;
  }
}

/** Why `b` is not exactly one well-formed BER element (see `walk`), or undefined when it is. */
export function berProblem(b: Uint8Array): string | undefined {
  return problemOf(b, false);
}

/** Why `b` is not exactly one well-formed DER element, or undefined when it is. */
export function derProblem(b: Uint8Array): string | undefined {
  return problemOf(b, true);
}

/**
 * Why the encoding of an X.509 certificate is not what RFC 5280 asks of one, or undefined:
 * - DER throughout (4.1);
 * - the signatureAlgorithm outside the signed part is the signature field inside it, byte for byte
 *   (4.1.1.2): only the inner one is signed, so a difference is a change no signature check sees;
 * - the signature and the public key BIT STRINGs have no unused bits (no key or signature we know has any).
 */
export function certificateProblem(b: Uint8Array): string | undefined {
  const problem = derProblem(b);
  if (problem) return problem;
  const top = readTlv(b, 0, b.length);
  const [tbs, algorithm, signature, ...more] = (is(top, UNIVERSAL, SEQUENCE, true) && children(b, top)) || [];
  if (more.length || !is(tbs, UNIVERSAL, SEQUENCE, true) || !is(algorithm, UNIVERSAL, SEQUENCE, true) || !is(signature, UNIVERSAL, BIT_STRING, false)) {
    return 'not a SEQUENCE of tbsCertificate, signatureAlgorithm and signatureValue';
  }
  const fields = children(b, tbs) ?? [];
  const [serial, inner, , , , key] = is(fields[0], CONTEXT, 0, true) ? fields.slice(1) : fields;
  if (!is(serial, UNIVERSAL, INTEGER, false) || !is(inner, UNIVERSAL, SEQUENCE, true) || !is(key, UNIVERSAL, SEQUENCE, true)) {
    return 'tbsCertificate has no serial number, signature or subjectPublicKeyInfo';
  }
  if (!sameBytes(b.subarray(inner.start, inner.end), b.subarray(algorithm.start, algorithm.end))) {
    return 'signatureAlgorithm is not the signature algorithm of tbsCertificate (RFC 5280 4.1.1.2)';
  }
  if (b[signature.contentStart] !== 0) return 'the signature has unused bits';
  const [, publicKey, ...others] = children(b, key) ?? [];
  if (others.length || !is(publicKey, UNIVERSAL, BIT_STRING, false) || b[publicKey.contentStart] !== 0) {
    return 'the public key is not a BIT STRING without unused bits';
  }
  return undefined;
}

/** Why a CMS ECDSA signature value is not a DER ECDSA-Sig-Value, SEQUENCE { r, s } (RFC 5753 7.2), or undefined. */
export function ecdsaSignatureProblem(b: Uint8Array): string | undefined {
  const problem = derProblem(b);
  if (problem) return problem;
  const top = readTlv(b, 0, b.length);
  const [r, s, ...more] = (is(top, UNIVERSAL, SEQUENCE, true) && children(b, top)) || [];
  if (more.length || !is(r, UNIVERSAL, INTEGER, false) || !is(s, UNIVERSAL, INTEGER, false)) return 'not a SEQUENCE of two INTEGERs';
  if (b[r.contentStart]! >= 0x80 || b[s.contentStart]! >= 0x80) return 'r or s is negative';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Outline
// ---------------------------------------------------------------------------------------------

export interface SignedDataOutline {
  /** The fields of the SignedData other than the certificates, in order, each as its encoding. */
  fields: Uint8Array<ArrayBuffer>[];
  /** The encoding of each X.509 certificate of the `certificates` field (other choices left out). */
  certificates: Uint8Array<ArrayBuffer>[];
  /** The fields read, when they have the plain shape (no CRLs; signers named by issuer and serial number). */
  plain?: PlainSignedData;
}

export interface PlainSignedData {
  version: number;
  digestAlgorithms: AlgorithmOutline[];
  /** `eContentType`, and the octets of `eContent` (the segments of a constructed one joined); none when detached. */
  contentType: string;
  content: Uint8Array<ArrayBuffer> | undefined;
  signers: PlainSignerInfo[];
}

export interface AlgorithmOutline {
  oid: string;
  /** The encoding of the parameters; undefined when absent or NULL. */
  parameters: Uint8Array<ArrayBuffer> | undefined;
}

export interface PlainSignerInfo {
  version: number;
  /** The IssuerAndSerialNumber: the encoding of the issuer's Name, and the contents of the serial number INTEGER. */
  issuer: Uint8Array<ArrayBuffer>;
  serialNumber: Uint8Array<ArrayBuffer>;
  digestAlgorithm: AlgorithmOutline;
  /** The encoding of the signed attributes, as signed: with the SET OF tag instead of `[0]`. */
  signedAttributes: Uint8Array<ArrayBuffer> | undefined;
  signatureAlgorithm: AlgorithmOutline;
  signature: Uint8Array<ArrayBuffer>;
}

/** An OBJECT IDENTIFIER's dotted form from its contents, or undefined when malformed. */
export function oidString(b: Uint8Array): string | undefined {
  if (b.length === 0 || (b[b.length - 1]! & 0x80) !== 0) return undefined;
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < b.length; i++) {
    if (value === 0 && b[i] === 0x80) return undefined;
    value = value * 128 + (b[i]! & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) return undefined;
    if ((b[i]! & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

const contents = (b: Uint8Array<ArrayBuffer>, t: Tlv): Uint8Array<ArrayBuffer> => b.subarray(t.contentStart, t.contentEnd);

/** A small non-negative INTEGER (a version), or undefined. */
function smallInteger(b: Uint8Array<ArrayBuffer>, t: Tlv | undefined): number | undefined {
  if (!is(t, UNIVERSAL, INTEGER, false) || t.contentEnd - t.contentStart !== 1 || b[t.contentStart]! > 0x7f) return undefined;
  return b[t.contentStart];
}

function algorithm(b: Uint8Array<ArrayBuffer>, t: Tlv | undefined): AlgorithmOutline | undefined {
  if (!is(t, UNIVERSAL, SEQUENCE, true)) return undefined;
  const [oid, parameters, ...more] = children(b, t) ?? [];
  if (more.length || !is(oid, UNIVERSAL, OBJECT_IDENTIFIER, false)) return undefined;
  const dotted = oidString(contents(b, oid));
  if (!dotted) return undefined;
  if (parameters && parameters.tagClass === UNIVERSAL && parameters.tagNumber === NULL) {
    return parameters.constructed || parameters.contentEnd !== parameters.contentStart ? undefined : { oid: dotted, parameters: undefined };
  }
  return { oid: dotted, parameters: parameters ? b.subarray(parameters.start, parameters.end) : undefined };
}

/** The octets of an OCTET STRING, primitive or constructed of primitive segments. */
function octetString(b: Uint8Array<ArrayBuffer>, t: Tlv | undefined): Uint8Array<ArrayBuffer> | undefined {
  if (!t || t.tagClass !== UNIVERSAL || t.tagNumber !== OCTET_STRING) return undefined;
  if (!t.constructed) return contents(b, t);
  const segments = children(b, t);
  if (!segments || !segments.every((s) => is(s, UNIVERSAL, OCTET_STRING, false))) return undefined;
  return new Uint8Array(Buffer.concat(segments.map((s) => contents(b, s))));
}

function signerInfo(b: Uint8Array<ArrayBuffer>, t: Tlv): PlainSignerInfo | undefined {
  if (!is(t, UNIVERSAL, SEQUENCE, true)) return undefined;
  const parts = children(b, t);
  if (!parts) return undefined;
  const [versionField, sid, digest, ...rest] = parts;
  const version = smallInteger(b, versionField);
  if (version === undefined || !is(sid, UNIVERSAL, SEQUENCE, true)) return undefined;
  const [issuer, serial, ...extra] = children(b, sid) ?? [];
  if (extra.length || !is(issuer, UNIVERSAL, SEQUENCE, true) || !is(serial, UNIVERSAL, INTEGER, false)) return undefined;
  const attributes = rest[0] && is(rest[0], CONTEXT, 0, true) ? rest.shift() : undefined;
  const [signatureAlgorithmField, signatureField, ...unsigned] = rest;
  if (unsigned.length > 1 || (unsigned[0] && !is(unsigned[0], CONTEXT, 1, true))) return undefined;
  const digestAlgorithm = algorithm(b, digest);
  const signatureAlgorithm = algorithm(b, signatureAlgorithmField);
  if (!digestAlgorithm || !signatureAlgorithm || !is(signatureField, UNIVERSAL, OCTET_STRING, false)) return undefined;
  let signedAttributes: Uint8Array<ArrayBuffer> | undefined;
  if (attributes) {
    signedAttributes = b.slice(attributes.start, attributes.end);
    signedAttributes[0] = 0x20 | SET;
  }
  return {
    version,
    issuer: b.subarray(issuer.start, issuer.end),
    serialNumber: contents(b, serial),
    digestAlgorithm,
    signedAttributes,
    signatureAlgorithm,
    signature: contents(b, signatureField),
  };
}

/** The fields of a SignedData without certificates, read when they are plainly what a Mobile ID signature holds. */
function plainSignedData(b: Uint8Array<ArrayBuffer>, fields: Tlv[]): PlainSignedData | undefined {
  const [versionField, digestAlgorithms, encapsulated, signerInfos, ...more] = fields;
  const version = smallInteger(b, versionField);
  if (more.length || version === undefined || !is(digestAlgorithms, UNIVERSAL, SET, true) || !is(encapsulated, UNIVERSAL, SEQUENCE, true) || !is(signerInfos, UNIVERSAL, SET, true)) {
    return undefined;
  }
  const [type, explicit, ...extra] = children(b, encapsulated) ?? [];
  if (extra.length || !is(type, UNIVERSAL, OBJECT_IDENTIFIER, false) || (explicit && !is(explicit, CONTEXT, 0, true))) return undefined;
  const contentType = oidString(contents(b, type));
  if (!contentType) return undefined;
  const digests: AlgorithmOutline[] = [];
  for (const field of children(b, digestAlgorithms) ?? [undefined]) {
    const digest = algorithm(b, field);
    if (!digest) return undefined;
    digests.push(digest);
  }
  let content: Uint8Array<ArrayBuffer> | undefined;
  if (explicit) {
    const [inner, ...others] = children(b, explicit) ?? [];
    content = others.length ? undefined : octetString(b, inner);
    if (!content) return undefined;
  }
  const signers: PlainSignerInfo[] = [];
  for (const field of children(b, signerInfos) ?? [undefined]) {
    const signer = field && signerInfo(b, field);
    if (!signer) return undefined;
    signers.push(signer);
  }
  return { version, digestAlgorithms: digests, contentType, content, signers };
}

/** The outline of a ContentInfo holding a SignedData, or undefined when it is not plainly one. */
export function outlineSignedData(b: Uint8Array<ArrayBuffer>): SignedDataOutline | undefined {
  const top = readTlv(b, 0, b.length);
  if (!is(top, UNIVERSAL, SEQUENCE, true) || top.end !== b.length) return undefined;
  const [oid, explicit, ...extra] = children(b, top) ?? [];
  if (extra.length || !is(oid, UNIVERSAL, OBJECT_IDENTIFIER, false) || !is(explicit, CONTEXT, 0, true)) return undefined;
  const oidBytes = b.subarray(oid.start, oid.end);
  if (oidBytes.length !== SIGNED_DATA_OID.length || !oidBytes.every((x, i) => x === SIGNED_DATA_OID[i])) return undefined;
  const [signedData, ...more] = children(b, explicit) ?? [];
  if (more.length || !is(signedData, UNIVERSAL, SEQUENCE, true)) return undefined;
  const fields = children(b, signedData);
  if (!fields) return undefined;
  const sets = fields.filter((f) => is(f, CONTEXT, 0, true));
  if (sets.length > 1) return undefined;
  const certificates: Uint8Array<ArrayBuffer>[] = [];
  if (sets[0]) {
    const choices = children(b, sets[0]);
    if (!choices) return undefined;
    // Another choice (an attribute certificate...) leaves the SignedData to pkijs, and the verification refuses it.
    for (const c of choices) {
      if (!is(c, UNIVERSAL, SEQUENCE, true)) return undefined;
      certificates.push(b.subarray(c.start, c.end));
    }
  }
  const others = fields.filter((f) => !sets.includes(f));
  const plain = plainSignedData(b, others);
  return {
    fields: others.map((f) => b.subarray(f.start, f.end)),
    certificates,
    ...(plain ? { plain } : {}),
  };
}
