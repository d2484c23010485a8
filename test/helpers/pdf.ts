/**
 * Reading PDFs made by pdfkit, for tests: their objects (dictionary and inflated stream), and the
 * text drawn: each text-showing operator (`Tj`, `TJ`) of the pages' content streams as one string,
 * its glyph codes read back through the font's ToUnicode map (embedded fonts) or as Latin-1 (PDF's
 * standard fonts). Enough for pdfkit's own output, not a general PDF parser.
 */
import zlib from 'node:zlib';

export interface PdfObject {
  dict: string;
  /** The stream, inflated when it is FlateDecode. */
  stream?: Buffer;
}

/** The objects of a PDF by number: each one's dictionary text and its stream. */
export function pdfObjects(pdf: Buffer): Map<number, PdfObject> {
  const text = pdf.toString('latin1');
  const found = new Map<number, PdfObject>();
  const start = /(\d+) 0 obj\n/g;
  let m: RegExpExecArray | null;
  while ((m = start.exec(text))) {
    const from = m.index + m[0].length;
    const end = text.indexOf('endobj', from);
    const streamAt = text.indexOf('stream\n', from);
    if (streamAt !== -1 && streamAt < end) {
      const dict = text.slice(from, streamAt);
      const length = Number(/\/Length (\d+)/.exec(dict)?.[1]);
      const raw = pdf.subarray(streamAt + 'stream\n'.length, streamAt + 'stream\n'.length + length);
      found.set(Number(m[1]), { dict, stream: /\/Filter \/FlateDecode/.test(dict) ? zlib.inflateSync(raw) : raw });
      start.lastIndex = streamAt + 'stream\n'.length + length;
    } else {
      found.set(Number(m[1]), { dict: text.slice(from, end) });
    }
  }
  return found;
}

/** Glyph code → text, from a ToUnicode CMap (`bfrange` with arrays or a start value, `bfchar`). */
function toUnicode(cmap: string): Map<number, string> {
  const map = new Map<number, string>();
  // A glyph may stand for several characters (a ligature: <0066 0069> is "fi").
  const utf16 = (hex: string) => String.fromCharCode(...(hex.replace(/\s+/g, '').match(/.{4}/g) ?? []).map((h) => parseInt(h, 16)));
  for (const block of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const r of block[1]!.matchAll(/<([0-9a-f]+)>\s*<([0-9a-f]+)>\s*(\[[^\]]*\]|<[0-9a-f\s]+>)/gi)) {
      const first = parseInt(r[1]!, 16);
      if (r[3]!.startsWith('[')) {
        [...r[3]!.matchAll(/<([0-9a-f\s]+)>/gi)].forEach((u, i) => map.set(first + i, utf16(u[1]!)));
      } else {
        const base = parseInt(r[3]!.slice(1, -1), 16);
        for (let code = first; code <= parseInt(r[2]!, 16); code += 1) map.set(code, String.fromCharCode(base + code - first));
      }
    }
  }
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const c of block[1]!.matchAll(/<([0-9a-f]+)>\s*<([0-9a-f\s]+)>/gi)) map.set(parseInt(c[1]!, 16), utf16(c[2]!));
  }
  return map;
}

type Decoder = (hex: string) => string;

/** Every run of text the pages draw, in order. */
export function pdfTextRuns(pdf: Buffer): string[] {
  const all = pdfObjects(pdf);
  const ref = (dict: string, key: string) => Number(new RegExp(`/${key} (\\d+) 0 R`).exec(dict)?.[1]);
  // pdfkit names each font of a document once (/F1, /F2, …) in the pages' resources.
  const decoders = new Map<string, Decoder>();
  for (const { dict } of all.values()) {
    for (const f of dict.matchAll(/\/(F\d+) (\d+) 0 R/g)) {
      const font = all.get(Number(f[2]));
      const cmapId = font ? ref(font.dict, 'ToUnicode') : NaN;
      const cmap = Number.isNaN(cmapId) ? undefined : all.get(cmapId)?.stream;
      if (cmap) {
        const map = toUnicode(cmap.toString('latin1'));
        decoders.set(f[1]!, (hex) => (hex.match(/.{4}/g) ?? []).map((h) => map.get(parseInt(h, 16)) ?? '\ufffd').join(''));
      } else {
        decoders.set(f[1]!, (hex) => Buffer.from(hex, 'hex').toString('latin1'));
      }
    }
  }
  const runs: string[] = [];
  for (const { dict } of all.values()) {
    if (!/\/Type \/Page\b/.test(dict)) continue;
    const content = all.get(ref(dict, 'Contents'))?.stream?.toString('latin1') ?? '';
    let decode: Decoder = () => '';
    for (const op of content.matchAll(/\/(F\d+) [\d.]+ Tf|\[((?:<[0-9a-f]*>|\s|-?[\d.]+)*)\] TJ|<([0-9a-f]*)> Tj/gi)) {
      if (op[1]) decode = decoders.get(op[1]) ?? decode;
      else if (op[2] !== undefined) runs.push([...op[2].matchAll(/<([0-9a-f]*)>/gi)].map((h) => decode(h[1]!)).join(''));
      else runs.push(decode(op[3]!));
    }
  }
  return runs;
}
