/** The verifier's record of the identity document the person showed at the counter. */
import type { DocumentRecord } from './cases.js';

export const DOCUMENT_TYPES = ['passport', 'idcard', 'residence_permit'] as const;

/** Why a verifier may reject a case (codes only: no free text reaches the records or the audit log). */
export const REJECT_REASONS = ['data_mismatch', 'photo_mismatch', 'document_invalid', 'document_expired', 'no_document'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type DocumentField = 'document_type' | 'document_number' | 'issuing_country' | 'expiry_date' | 'checked';

/** Message keys (admin.desk.error.*) by field. */
export type DocumentErrors = Partial<Record<DocumentField, string>>;

const text = (body: Record<string, unknown>, key: string) => (typeof body[key] === 'string' ? (body[key] as string).trim() : '');

function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function isDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).toISOString().slice(0, 10) === value;
}

/** Validates the desk's approval form (strings from a POST body). */
export function parseDocumentForm(
  body: Record<string, unknown>,
  today: Date = new Date(),
): { document: DocumentRecord; errors?: undefined } | { document?: undefined; errors: DocumentErrors } {
  const type = text(body, 'document_type');
  const number = text(body, 'document_number').toUpperCase().replace(/\s+/g, '');
  const issuingCountry = text(body, 'issuing_country').toUpperCase();
  const expiryDate = text(body, 'expiry_date');
  const errors: DocumentErrors = {};
  if (!(DOCUMENT_TYPES as readonly string[]).includes(type)) errors.document_type = 'admin.desk.error.document_type';
  if (!/^[A-Z0-9][A-Z0-9-]{3,19}$/.test(number)) errors.document_number = 'admin.desk.error.document_number';
  if (!/^[A-Z]{2}$/.test(issuingCountry)) errors.issuing_country = 'admin.desk.error.issuing_country';
  if (!isDate(expiryDate)) errors.expiry_date = 'admin.desk.error.expiry_date';
  else if (expiryDate < utcDay(today)) errors.expiry_date = 'admin.desk.error.document_expired';
  if (body.checked !== 'yes') errors.checked = 'admin.desk.error.checked';
  if (Object.keys(errors).length) return { errors };
  return { document: { type: type as DocumentRecord['type'], number, issuingCountry, expiryDate } };
}

export function isRejectReason(value: unknown): value is RejectReason {
  return typeof value === 'string' && (REJECT_REASONS as readonly string[]).includes(value);
}
