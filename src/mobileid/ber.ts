/**
 * The outline of a CMS SignedData (RFC 5652) read straight from its BER bytes: where each field
 * of the SignedData and each embedded certificate begins and ends, without decoding them.
 *
 * asn1js decodes every byte it is given, and most bytes of a Mobile ID signature are its three
 * certificates, which the verification parses once per distinct certificate anyway
 * (certificate-cache.ts). So the verification gives asn1js only the other fields. Anything
 * unexpected (another content type, a malformed length, high tag numbers) yields no outline, and
 * the caller decodes the whole blob as before, which also produces the error message.
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
const SEQUENCE = 16;
const OBJECT_IDENTIFIER = 6;
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
  return {
    fields: fields.filter((f) => !sets.includes(f)).map((f) => b.subarray(f.start, f.end)),
    certificates,
  };
}
