/**
 * A minimal ASN.1 DER/BER writer (and a tiny reader) for the simulator's certificates and CMS.
 *
 * Only what X.509 and CMS SignedData need; every value is built from bytes so the output is
 * exactly what we mean it to be (including the indefinite-length form the real service uses).
 */

/** Tag numbers (universal class) and the context-specific helpers below. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** A definite-length TLV. */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const body = concat(contents);
  return concat([Uint8Array.of(tag), encodeLength(body.length), body]);
}

/** A constructed TLV in BER indefinite-length form (0x80 ... 00 00). */
export function indefinite(tag: number, ...contents: Uint8Array[]): Uint8Array {
  return concat([Uint8Array.of(tag, 0x80), ...contents, Uint8Array.of(0, 0)]);
}

export const sequence = (...contents: Uint8Array[]): Uint8Array => tlv(TAG.SEQUENCE, ...contents);

/** DER SET OF: elements sorted by their encoding (X.690 11.6). */
export function setOf(...elements: Uint8Array[]): Uint8Array {
  const sorted = [...elements].sort(compareBytes);
  return tlv(TAG.SET, ...sorted);
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** [n] EXPLICIT (constructed, context-specific). */
export const explicit = (n: number, ...contents: Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...contents);

/** [n] IMPLICIT primitive (context-specific), e.g. GeneralName uniformResourceIdentifier [6]. */
export const implicitPrimitive = (n: number, value: Uint8Array): Uint8Array => tlv(0x80 | n, value);

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined) throw new Error(`Invalid OID ${dotted}`);
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number((v & 0x7fn) | 0x80n));
    out.push(...chunk);
  }
  return tlv(TAG.OID, Uint8Array.from(out));
}

/** INTEGER from unsigned big-endian bytes (adds a leading zero when the high bit is set). */
export function unsignedInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  const needsPad = ((trimmed[0] ?? 0) & 0x80) !== 0;
  return tlv(TAG.INTEGER, needsPad ? concat([Uint8Array.of(0), trimmed]) : trimmed);
}

export function smallInteger(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new Error('smallInteger out of range');
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return unsignedInteger(Uint8Array.from(bytes.length ? bytes : [0]));
}

export const derNull = (): Uint8Array => Uint8Array.of(TAG.NULL, 0);
export const boolean = (value: boolean): Uint8Array => tlv(TAG.BOOLEAN, Uint8Array.of(value ? 0xff : 0));
export const octetString = (value: Uint8Array): Uint8Array => tlv(TAG.OCTET_STRING, value);
export const bitString = (value: Uint8Array, unusedBits = 0): Uint8Array =>
  tlv(TAG.BIT_STRING, Uint8Array.of(unusedBits), value);

const text = new TextEncoder();
export const utf8String = (value: string): Uint8Array => tlv(TAG.UTF8_STRING, text.encode(value));
export const printableString = (value: string): Uint8Array => tlv(TAG.PRINTABLE_STRING, text.encode(value));
export const ia5String = (value: string): Uint8Array => tlv(TAG.IA5_STRING, text.encode(value));

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
export function time(date: Date): Uint8Array {
  const iso = date.toISOString(); // 2024-07-02T06:53:09.542Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, ''); // 20240702065309
  const year = date.getUTCFullYear();
  return year < 2050
    ? tlv(TAG.UTC_TIME, text.encode(`${digits.slice(2)}Z`))
    : tlv(TAG.GENERALIZED_TIME, text.encode(`${digits}Z`));
}

/** One decoded TLV header: where its contents start and end inside the buffer. */
export interface TlvView {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

/** Read the definite-length TLV at `offset` (enough for the DER this module writes). */
export function readTlv(buf: Uint8Array, offset = 0): TlvView {
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined) throw new Error('DER: truncated');
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new Error('DER: unsupported length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[offset + 2 + i] ?? 0);
    contentStart += count;
  }
  return { tag, start: offset, contentStart, end: contentStart + length };
}

/** The direct children of a constructed DER value. */
export function children(buf: Uint8Array, parent: TlvView = readTlv(buf)): TlvView[] {
  const out: TlvView[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readTlv(buf, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export function fromPem(pem: string): Uint8Array {
  const b64 = pem.replace(/-----(BEGIN|END) [^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}
