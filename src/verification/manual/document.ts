/**
 * The document the user prints or shows on the phone at the counter: the QR code (the desk URL
 * with the signed reference only), the short code, how long it is valid, and the data the
 * verifier will compare with the identity document. One model, rendered as HTML (by the pages)
 * and as PDF (here, with the QR code embedded as PNG).
 */
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';

import QRCode from 'qrcode';

export interface CounterDocument {
  title: string;
  intro: string;
  steps: string[];
  codeLabel: string;
  /** XXXX-XXXX */
  shortCode: string;
  validUntil: string;
  dataHeading: string;
  rows: { label: string; value: string }[];
  footer: string;
}

const QR_OPTIONS = { errorCorrectionLevel: 'M' as const, margin: 4 };

/** The QR code as inline SVG (for the HTML pages; scales sharply when printed). */
export function qrSvg(content: string): Promise<string> {
  return QRCode.toString(content, { ...QR_OPTIONS, type: 'svg' });
}

/** The QR code as PNG (for the PDF). */
export function qrPng(content: string): Promise<Buffer> {
  return QRCode.toBuffer(content, { ...QR_OPTIONS, type: 'png', scale: 8 });
}

/** The fonts embedded in the PDF (their files), and which characters both have a glyph for. */
interface PdfFonts {
  regular: Buffer;
  bold: Buffer;
  drawable(codePoint: number): boolean;
}

/**
 * DejaVu Sans, regular and bold: Latin with every diacritic, Greek and Cyrillic, so that names
 * such as "Łucja Świątek", "Çağlar Yılmaz" or "Đoković" are printed as written (PDF's standard
 * fonts cover Latin-1 only). Embedded as a subset of the glyphs used (a few kB per document).
 */
let fonts: Promise<PdfFonts> | undefined;

function pdfFonts(): Promise<PdfFonts> {
  fonts ??= (async () => {
    const fontkit = await import('fontkit');
    const require = createRequire(import.meta.url);
    const load = async (file: string) => {
      const data = await fs.readFile(require.resolve(`dejavu-fonts-ttf/ttf/${file}`));
      const font = fontkit.create(data);
      if (!('hasGlyphForCodePoint' in font)) throw new Error(`${file} is a font collection`);
      return { data, font };
    };
    const [regular, bold] = await Promise.all([load('DejaVuSans.ttf'), load('DejaVuSans-Bold.ttf')]);
    return {
      regular: regular.data,
      bold: bold.data,
      drawable: (codePoint: number) => regular.font.hasGlyphForCodePoint(codePoint) && bold.font.hasGlyphForCodePoint(codePoint),
    };
  })().catch((err: unknown) => {
    fonts = undefined; // tried again with the next document
    throw err;
  });
  return fonts;
}

/**
 * The text as fonts with glyphs for `drawable` characters can draw it: a character without a
 * glyph (Chinese, say) is written without its accents when that leaves one they have, else as "?"
 * (never an empty box).
 */
export function pdfText(value: string, drawable: (codePoint: number) => boolean): string {
  return [...value]
    .map((ch) => {
      const cp = ch.codePointAt(0)!;
      if (cp < 0x20 || drawable(cp)) return ch;
      const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
      return [...base].length === 1 && drawable(base.codePointAt(0)!) ? base : '?';
    })
    .join('');
}

/** The document as an A4 PDF. */
export async function counterPdf(doc: CounterDocument, qrContent: string): Promise<Buffer> {
  // Loaded on first use: the PDF library and the fonts take some 20 MB that most instances never
  // need.
  const { default: PDFDocument } = await import('pdfkit');
  const { regular, bold, drawable } = await pdfFonts();
  const text = (value: string) => pdfText(value, drawable);
  const png = await qrPng(qrContent);
  // Document information strings are written in UTF-16 when needed: no font involved.
  const pdf = new PDFDocument({ size: 'A4', margin: 56, info: { Title: doc.title, Producer: 'ServiceCore Login', Creator: 'ServiceCore Login' } });
  pdf.registerFont('Sans', regular);
  pdf.registerFont('Sans-Bold', bold);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  const width = pdf.page.width - 112;
  pdf.font('Sans-Bold').fontSize(20).text(text(doc.title), { width });
  pdf.moveDown(0.5);
  pdf.font('Sans').fontSize(11).text(text(doc.intro), { width });
  pdf.moveDown(0.5);
  doc.steps.forEach((step, i) => pdf.text(`${i + 1}. ${text(step)}`, { width, indent: 0 }));
  pdf.moveDown(1);
  const top = pdf.y;
  pdf.image(png, 56, top, { width: 190, height: 190 });
  const right = 56 + 210;
  pdf.font('Sans').fontSize(11).text(text(doc.codeLabel), right, top + 20, { width: width - 210 });
  pdf.font('Courier-Bold').fontSize(26).text(doc.shortCode, right, pdf.y + 4, { width: width - 210 });
  pdf.font('Sans').fontSize(11).text(text(doc.validUntil), right, pdf.y + 10, { width: width - 210 });
  pdf.y = top + 210;
  pdf.x = 56;
  pdf.font('Sans-Bold').fontSize(13).text(text(doc.dataHeading), { width });
  pdf.moveDown(0.3);
  for (const row of doc.rows) {
    pdf.font('Sans').fontSize(11).text(`${text(row.label)}: `, { continued: true, width }).font('Sans-Bold').text(text(row.value));
  }
  pdf.moveDown(1.5);
  pdf.font('Sans').fontSize(9).fillColor('#555555').text(text(doc.footer), { width });
  pdf.end();
  return done;
}
