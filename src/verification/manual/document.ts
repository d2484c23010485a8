/**
 * The document the user prints or shows on the phone at the counter: the QR code (the desk URL
 * with the signed reference only), the short code, how long it is valid, and the data the
 * verifier will compare with the identity document. One model, rendered as HTML (by the pages)
 * and as PDF (here, with the QR code embedded as PNG).
 */
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

/** PDF's standard fonts cover Latin-1 (WinAnsi): other letters lose their accents (Ł → L), the rest becomes "?". */
export function pdfText(value: string): string {
  return [...value]
    .map((ch) => {
      if (ch.charCodeAt(0) <= 0xff) return ch;
      const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
      if (base.length === 1 && base.charCodeAt(0) <= 0xff) return base;
      return { 'Ł': 'L', 'ł': 'l', 'Đ': 'D', 'đ': 'd', 'Ø': 'O', 'ø': 'o', 'Œ': 'OE', 'œ': 'oe', '’': "'", '–': '-' }[ch] ?? '?';
    })
    .join('');
}

/** The document as an A4 PDF. */
export async function counterPdf(doc: CounterDocument, qrContent: string): Promise<Buffer> {
  // Loaded on first use: the PDF library and its font data take some 20 MB that most instances
  // never need.
  const { default: PDFDocument } = await import('pdfkit');
  const png = await qrPng(qrContent);
  const pdf = new PDFDocument({ size: 'A4', margin: 56, info: { Title: pdfText(doc.title), Producer: 'ServiceCore Login', Creator: 'ServiceCore Login' } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  const width = pdf.page.width - 112;
  pdf.font('Helvetica-Bold').fontSize(20).text(pdfText(doc.title), { width });
  pdf.moveDown(0.5);
  pdf.font('Helvetica').fontSize(11).text(pdfText(doc.intro), { width });
  pdf.moveDown(0.5);
  doc.steps.forEach((step, i) => pdf.text(`${i + 1}. ${pdfText(step)}`, { width, indent: 0 }));
  pdf.moveDown(1);
  const top = pdf.y;
  pdf.image(png, 56, top, { width: 190, height: 190 });
  const right = 56 + 210;
  pdf.font('Helvetica').fontSize(11).text(pdfText(doc.codeLabel), right, top + 20, { width: width - 210 });
  pdf.font('Courier-Bold').fontSize(26).text(doc.shortCode, right, pdf.y + 4, { width: width - 210 });
  pdf.font('Helvetica').fontSize(11).text(pdfText(doc.validUntil), right, pdf.y + 10, { width: width - 210 });
  pdf.y = top + 210;
  pdf.x = 56;
  pdf.font('Helvetica-Bold').fontSize(13).text(pdfText(doc.dataHeading), { width });
  pdf.moveDown(0.3);
  for (const row of doc.rows) {
    pdf.font('Helvetica').fontSize(11).text(`${pdfText(row.label)}: `, { continued: true, width }).font('Helvetica-Bold').text(pdfText(row.value));
  }
  pdf.moveDown(1.5);
  pdf.font('Helvetica').fontSize(9).fillColor('#555555').text(pdfText(doc.footer), { width });
  pdf.end();
  return done;
}
