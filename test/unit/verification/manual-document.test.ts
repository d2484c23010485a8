/** The counter document (QR code, PDF) and the verifier's document form. */
import { describe, expect, it } from 'vitest';

import { parseDocumentForm, isRejectReason } from '../../../src/verification/manual/document-form.js';
import { counterPdf, pdfText, qrSvg, type CounterDocument } from '../../../src/verification/manual/document.js';
import { pdfTextRuns } from '../../helpers/pdf.js';
import { decodeQrPdf, decodeQrSvg } from '../../helpers/qr.js';

const today = new Date('2025-06-15T10:00:00Z');
const valid = { document_type: 'passport', document_number: ' x 1234567 ', issuing_country: 'ch', expiry_date: '2030-01-31', checked: 'yes' };

describe('the verifier document form', () => {
  it('accepts a complete, valid document and normalises number and country', () => {
    expect(parseDocumentForm(valid, today)).toEqual({ document: { type: 'passport', number: 'X1234567', issuingCountry: 'CH', expiryDate: '2030-01-31' } });
    expect(parseDocumentForm({ ...valid, expiry_date: '2025-06-15' }, today).document?.expiryDate).toBe('2025-06-15');
  });

  it('names every field that is missing or wrong', () => {
    expect(parseDocumentForm({}, today).errors).toEqual({
      document_type: 'admin.desk.error.document_type',
      document_number: 'admin.desk.error.document_number',
      issuing_country: 'admin.desk.error.issuing_country',
      expiry_date: 'admin.desk.error.expiry_date',
      checked: 'admin.desk.error.checked',
    });
    expect(parseDocumentForm({ ...valid, document_type: 'library_card' }, today).errors).toEqual({ document_type: 'admin.desk.error.document_type' });
    expect(parseDocumentForm({ ...valid, document_number: 'X1<' }, today).errors).toEqual({ document_number: 'admin.desk.error.document_number' });
    expect(parseDocumentForm({ ...valid, issuing_country: 'CHE' }, today).errors).toEqual({ issuing_country: 'admin.desk.error.issuing_country' });
    expect(parseDocumentForm({ ...valid, expiry_date: '2030-02-30' }, today).errors).toEqual({ expiry_date: 'admin.desk.error.expiry_date' });
  });

  it('refuses an expired identity document', () => {
    expect(parseDocumentForm({ ...valid, expiry_date: '2025-06-14' }, today).errors).toEqual({ expiry_date: 'admin.desk.error.document_expired' });
  });

  it('knows the rejection reasons', () => {
    expect(isRejectReason('photo_mismatch')).toBe(true);
    expect(isRejectReason('because')).toBe(false);
  });
});

const doc: CounterDocument = {
  title: 'Identification at a counter',
  intro: 'Show this document.',
  steps: ['Bring a passport.', 'The staff scan the code.', 'Log in again.'],
  codeLabel: 'Code for the counter',
  shortCode: 'ABCD-EFGH',
  validUntil: 'Valid until 15 July 2025',
  dataHeading: 'Details to be checked',
  rows: [
    { label: 'Given names', value: 'Zoë Łucja' },
    { label: 'Family name', value: 'Müller-Świątek' },
    { label: 'Also known as', value: 'Çağlar Yılmaz, Đorđe Đoković, Дмитрий Ковальчук, Ελένη' },
    { label: 'Written', value: '李' },
  ],
  footer: 'The QR code holds only a reference.',
};

describe('the document', () => {
  it('draws the QR code with exactly the given content', async () => {
    const url = 'https://login.example.ch/admin/desk/scan?t=aaa.bbb.ccc';
    expect(decodeQrSvg(await qrSvg(url))).toBe(url);
  });

  it('is a PDF with the QR code as an image', async () => {
    const pdf = await counterPdf(doc, 'https://login.example.ch/admin/desk/scan?t=aaa.bbb.ccc');
    expect(decodeQrPdf(pdf)).toBe('https://login.example.ch/admin/desk/scan?t=aaa.bbb.ccc');
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-6).toString('latin1')).toMatch(/%%EOF\s*$/);
    const text = pdf.toString('latin1');
    expect(text).toMatch(/\/Subtype \/Image/);
    expect(text).toMatch(/\/Title/);
  });

  it('prints names in every Latin, Greek and Cyrillic letter as written', async () => {
    const runs = pdfTextRuns(await counterPdf(doc, 'https://login.example.ch/admin/desk/scan?t=aaa.bbb.ccc')).map((r) => r.trim());
    expect(runs).toContain('Zoë Łucja');
    expect(runs).toContain('Müller-Świątek');
    expect(runs).toContain('Çağlar Yılmaz, Đorđe Đoković, Дмитрий Ковальчук, Ελένη');
    expect(runs).toContain('ABCD-EFGH');
    // A letter the fonts lack is a question mark, not an empty box.
    expect(runs).toContain('?');
    expect(runs.join(' ')).not.toMatch(/\ufffd|李/);
  });

  it('writes a letter the fonts lack without its accents, or as "?"', () => {
    // Fonts with Latin-1 and "Ś" only.
    const latin1 = (cp: number) => cp < 0x100 || cp === 0x15a;
    expect(pdfText('Zoë Müller-Świątek', latin1)).toBe('Zoë Müller-Światek');
    expect(pdfText('Łucja 李', latin1)).toBe('?ucja ?');
    expect(pdfText('Łucja', () => true)).toBe('Łucja');
  });
});
