/**
 * Reads what a QR code holds, for tests: from the inline SVG our pages embed (the `qrcode`
 * package's SVG output, one path of dark runs), or from the RGB image in a PDF made by pdfkit. The image is pristine, so no error correction is
 * needed: read the format, unmask, de-interleave the data codewords, decode the segments.
 */
import { createRequire } from 'node:module';

import QRCode from 'qrcode';

import { pdfObjects } from './pdf.js';

const require = createRequire(import.meta.url);
const ecc = require('qrcode/lib/core/error-correction-code.js') as {
  getBlocksCount(version: number, level: { bit: number }): number;
  getTotalCodewordsCount(version: number, level: { bit: number }): number;
};

const levels = require('qrcode/lib/core/error-correction-level.js') as Record<'L' | 'M' | 'Q' | 'H', { bit: number }>;

const LEVELS = { 1: 'L', 0: 'M', 3: 'Q', 2: 'H' } as const;
const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/** The module matrix (true = dark) of the first QR SVG in a text. */
export function qrMatrixFromSvg(html: string): boolean[][] {
  const svg = /<svg[^>]*viewBox="0 0 (\d+) \1"[\s\S]*?<\/svg>/.exec(html);
  if (!svg) throw new Error('no QR code SVG found');
  const view = Number(svg[1]);
  const d = /<path stroke="[^"]+" d="([^"]+)"/.exec(svg[0])![1]!;
  const dark: [number, number][] = [];
  let x = 0;
  let y = 0;
  for (const m of d.matchAll(/([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
    const a = Number(m[2]);
    const b = Number(m[3] ?? 0);
    if (m[1] === 'M') [x, y] = [a, b];
    else if (m[1] === 'm') [x, y] = [x + a, y + b];
    else {
      for (let i = 0; i < a; i += 1) dark.push([Math.floor(y), x + i]);
      x += a;
    }
  }
  const margin = Math.min(...dark.map(([, col]) => col));
  const size = view - 2 * margin;
  const matrix = Array.from({ length: size }, () => Array<boolean>(size).fill(false));
  for (const [row, col] of dark) matrix[row - margin]![col - margin] = true;
  return matrix;
}

function maskAt(pattern: number, i: number, j: number): boolean {
  switch (pattern) {
    case 0: return (i + j) % 2 === 0;
    case 1: return i % 2 === 0;
    case 2: return j % 3 === 0;
    case 3: return (i + j) % 3 === 0;
    case 4: return (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0;
    case 5: return ((i * j) % 2) + ((i * j) % 3) === 0;
    case 6: return (((i * j) % 2) + ((i * j) % 3)) % 2 === 0;
    default: return (((i * j) % 3) + ((i + j) % 2)) % 2 === 0;
  }
}

/** The text a QR module matrix holds. */
export function decodeQrMatrix(matrix: boolean[][]): string {
  const size = matrix.length;
  const version = (size - 17) / 4;
  let format = 0;
  for (let i = 0; i < 15; i += 1) {
    const row = i < 6 ? i : i < 8 ? i + 1 : size - 15 + i;
    if (matrix[row]![8]) format |= 1 << i;
  }
  const info = (format ^ 0x5412) >> 10;
  const levelName = LEVELS[(info >> 3) as keyof typeof LEVELS];
  const mask = info & 7;
  const level = levels[levelName]; // the package compares these objects by identity
  const reserved = QRCode.create('x', { version, errorCorrectionLevel: levelName }).modules.reservedBit as unknown as Uint8Array;

  const bits: number[] = [];
  let up = true;
  for (let col = size - 1; col > 0; col -= 2) {
    if (col === 6) col -= 1;
    for (let k = 0; k < size; k += 1) {
      const row = up ? size - 1 - k : k;
      for (let c = 0; c < 2; c += 1) {
        const j = col - c;
        if (reserved[row * size + j]) continue;
        bits.push(Number(matrix[row]![j]! !== maskAt(mask, row, j)));
      }
    }
    up = !up;
  }
  const codewords: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) codewords.push(bits.slice(i, i + 8).reduce((acc, b) => (acc << 1) | b, 0));

  const total = (size * size - reserved.reduce((n, r) => n + r, 0)) >> 3;
  const dataTotal = total - ecc.getTotalCodewordsCount(version, level);
  const blocks = ecc.getBlocksCount(version, level);
  const group2 = total % blocks;
  const group1 = blocks - group2;
  const dataPerBlock = Math.floor(dataTotal / blocks);
  const lengths = Array.from({ length: blocks }, (_, b) => (b < group1 ? dataPerBlock : dataPerBlock + 1));
  const perBlock: number[][] = lengths.map(() => []);
  let index = 0;
  for (let i = 0; i < dataPerBlock + 1; i += 1) {
    for (let b = 0; b < blocks; b += 1) if (i < lengths[b]!) perBlock[b]!.push(codewords[index++]!);
  }
  const data = perBlock.flat();

  let pos = 0;
  const read = (n: number) => {
    let v = 0;
    for (let i = 0; i < n; i += 1) {
      const byte = data[(pos + i) >> 3] ?? 0;
      v = (v << 1) | ((byte >> (7 - ((pos + i) & 7))) & 1);
    }
    pos += n;
    return v;
  };
  const countBits = (small: number, medium: number, large: number) => (version < 10 ? small : version < 27 ? medium : large);
  let out = '';
  const bytes: number[] = [];
  const flush = () => {
    if (bytes.length) out += Buffer.from(bytes.splice(0)).toString('utf8');
  };
  while (pos + 4 <= data.length * 8) {
    const mode = read(4);
    if (mode === 0) break;
    if (mode === 4) {
      const n = read(countBits(8, 16, 16));
      for (let i = 0; i < n; i += 1) bytes.push(read(8));
      continue;
    }
    flush();
    if (mode === 1) {
      let n = read(countBits(10, 12, 14));
      while (n >= 3) { out += String(read(10)).padStart(3, '0'); n -= 3; }
      if (n === 2) out += String(read(7)).padStart(2, '0');
      if (n === 1) out += String(read(4));
    } else if (mode === 2) {
      let n = read(countBits(9, 11, 13));
      while (n >= 2) { const v = read(11); out += ALNUM[Math.floor(v / 45)]! + ALNUM[v % 45]!; n -= 2; }
      if (n === 1) out += ALNUM[read(6)]!;
    } else {
      throw new Error(`QR mode ${mode} is not supported by this test reader`);
    }
  }
  flush();
  return out;
}

export function decodeQrSvg(html: string): string {
  return decodeQrMatrix(qrMatrixFromSvg(html));
}

/** The text of the QR code drawn as the (first) RGB image of a PDF. */
export function decodeQrPdf(pdf: Buffer): string {
  const image = [...pdfObjects(pdf).values()].find((o) => /\/Subtype \/Image/.test(o.dict) && /\/ColorSpace \/DeviceRGB/.test(o.dict));
  if (!image?.stream) throw new Error('no RGB image in the PDF');
  const width = Number(/\/Width (\d+)/.exec(image.dict)![1]);
  const pixels = image.stream;
  const dark = (x: number, y: number) => pixels[(y * width + x) * 3]! < 128;
  let first = -1;
  for (let i = 0; i < width * width && first < 0; i += 1) if (dark(i % width, Math.floor(i / width))) first = i;
  const [x0, y0] = [first % width, Math.floor(first / width)];
  let run = 0;
  while (dark(x0 + run, y0)) run += 1;
  const scale = run / 7; // the top-left finder pattern is 7 modules wide
  const size = Math.round((width - 2 * x0) / scale);
  return decodeQrMatrix(
    Array.from({ length: size }, (_, r) => Array.from({ length: size }, (_, c) => dark(Math.floor(x0 + (c + 0.5) * scale), Math.floor(y0 + (r + 0.5) * scale)))),
  );
}
