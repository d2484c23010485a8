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
const INTEGER = 2;
const OCTET_STRING = 4;
const NULL = 5;
const OBJECT_IDENTIFIER = 6;
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
  return { version, contentType, content, signers };
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
    for (const c of choices) if (is(c, UNIVERSAL, SEQUENCE, true)) certificates.push(b.subarray(c.start, c.end));
  }
  const others = fields.filter((f) => !sets.includes(f));
  const plain = plainSignedData(b, others);
  return {
    fields: others.map((f) => b.subarray(f.start, f.end)),
    certificates,
    ...(plain ? { plain } : {}),
  };
}
