/**
 * The rows administrators edit: the four policy tables (migrations/005), their fields as the API
 * and the forms name them (the column names), and one zod schema per row type whose issues become
 * field-level messages `{ field, code, params }`.
 */
import { z } from 'zod';

import { geofenceThresholdsSchema } from '../mobileid/policy.js';
import { isQorSteps, QorSteps } from '../qor/index.js';

export const KINDS = ['strength', 'qor', 'qoa', 'lot'] as const;
export type Kind = (typeof KINDS)[number];

/** The path segment of a kind, in the API and the pages: `/admin/api/qors`, `/admin/qors`. */
export const SEGMENTS: Record<Kind, string> = { strength: 'strengths', qor: 'qors', qoa: 'qoas', lot: 'lots' };

/** The policy tables (see migrations/005_policy_and_verifications.ts). */
export const TABLES: Record<Kind, string> = {
  strength: 'servicecorelogin_quality_of_registration_strength',
  qor: 'servicecorelogin_quality_of_registration',
  qoa: 'servicecorelogin_quality_of_authentication',
  lot: 'servicecorelogin_level_of_trust',
};

/** The editable fields of each kind, in form order. */
export const FIELDS = {
  strength: ['system_name', 'name_key', 'level'],
  qor: ['system_name', 'name_key', 'steps', 'quality_of_registration_strength_id'],
  qoa: ['system_name', 'name_key', 'level', 'method'],
  lot: ['system_name', 'name_key', 'quality_of_authentication_id', 'quality_of_registration_strength_id', 'checks'],
} as const satisfies Record<Kind, readonly string[]>;

export type Field = (typeof FIELDS)[Kind][number];

/** Columns a client may send back unchanged (from a GET) but never sets. */
export const READ_ONLY = ['id', 'created_at', 'created_by', 'updated_at', 'updated_by'] as const;

/** The steps an administrator may choose: every QorSteps value but Dummy. */
export const EDITABLE_STEPS: readonly QorSteps[] = [QorSteps.None, QorSteps.AutoOrManual, QorSteps.AutoOrManualAndAhv, QorSteps.Auto, QorSteps.AutoAndAhv];

/** A field-level problem; `code` is the message key suffix (admin.error.<code>). */
export interface FieldError {
  field: string;
  code: string;
  params?: Record<string, string | number>;
}

/** The longest system_name: it also names the audit subject (`strength:` + name, 255 characters). */
export const SYSTEM_NAME_MAX = 200;
export const LEVEL_MAX = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Field schemas. Each custom message is a code, turned into a translated sentence by the caller.

const missing = (input: unknown) => input === undefined || input === null;

/** Form fields arrive as text: "12" → 12, "" → missing; anything else is left to fail the schema. */
function toNumber(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  return /^[+-]?\d{1,15}$/.test(trimmed) ? Number(trimmed) : value;
}

/** `checks` may arrive as JSON text (a form's textarea); empty means no checks. */
function toChecks(value: unknown): unknown {
  if (missing(value)) return {};
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return {};
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return INVALID_JSON;
  }
}
const INVALID_JSON = Symbol('invalid JSON');

const text = (max: number, pattern: RegExp, formatCode: string) =>
  z
    .string({ error: (iss) => (missing(iss.input) ? 'required' : 'text') })
    .trim()
    .min(1, { error: 'required', abort: true })
    .max(max, { error: 'too_long', abort: true })
    .regex(pattern, { error: formatCode });

const integer = (min: number, max: number, rangeCode: string) =>
  z.preprocess(
    toNumber,
    z
      .number({ error: (iss) => (missing(iss.input) ? 'required' : 'integer') })
      .int({ error: 'integer' })
      .min(min, { error: rangeCode })
      .max(max, { error: rangeCode }),
  );

/** A URI without whitespace (acr_values are space separated), e.g. `urn:servicecore:qor:500`. */
const systemName = text(SYSTEM_NAME_MAX, /^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+$/, 'system_name_format');
const nameKey = text(255, /^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'name_key_format');
const level = integer(0, LEVEL_MAX, 'level_range');
const reference = integer(1, 2_147_483_647, 'reference_range');

const steps = z.preprocess(
  toNumber,
  z
    .number({ error: (iss) => (missing(iss.input) ? 'required' : 'integer') })
    .int({ error: 'integer' })
    .refine((v) => v !== QorSteps.Dummy, { error: 'steps_dummy', abort: true })
    .refine((v) => isQorSteps(v), { error: 'steps_range' }),
);

/**
 * Additional checks of a Level of Trust. Known checks are validated (geofencing thresholds as the
 * Mobile ID login reads them, a maximum authentication age); further keys are kept as they are.
 */
const checks = z.preprocess(
  toChecks,
  z.looseObject(
    {
      geofencing: geofenceThresholdsSchema.optional(),
      maxAuthenticationAgeSeconds: z.number().int().positive().optional(),
    },
    { error: (iss) => (iss.input === INVALID_JSON ? 'checks_json' : 'checks_object') },
  ),
);

export const ROW_SCHEMAS = {
  strength: z.strictObject({ system_name: systemName, name_key: nameKey, level }),
  qor: z.strictObject({ system_name: systemName, name_key: nameKey, steps, quality_of_registration_strength_id: reference }),
  qoa: z.strictObject({ system_name: systemName, name_key: nameKey, level, method: text(64, /^[a-z0-9][a-z0-9-]*$/, 'method_format') }),
  lot: z.strictObject({
    system_name: systemName,
    name_key: nameKey,
    quality_of_authentication_id: reference,
    quality_of_registration_strength_id: reference,
    checks,
  }),
};

export type RowInput<K extends Kind> = z.output<(typeof ROW_SCHEMAS)[K]>;
export type AnyRowInput = RowInput<Kind>;

const KNOWN_CODES = new Set([
  'required',
  'text',
  'too_long',
  'system_name_format',
  'name_key_format',
  'method_format',
  'integer',
  'level_range',
  'reference_range',
  'steps_range',
  'steps_dummy',
  'checks_json',
  'checks_object',
]);

/** The zod issues of a row as field errors: one per field, the first problem found. */
function fieldErrorsOf(error: z.ZodError): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ field: key, code: 'unknown_field' });
      continue;
    }
    const field = String(issue.path[0] ?? 'row');
    if (field === 'checks' && issue.path.length > 1) {
      errors.push({ field, code: 'checks_invalid', params: { path: issue.path.slice(1).join('.'), detail: issue.message } });
      continue;
    }
    const code = KNOWN_CODES.has(issue.message) ? issue.message : 'invalid';
    const params: Record<string, number> = {};
    if (code === 'too_long' && 'maximum' in issue) params.max = Number(issue.maximum);
    errors.push({ field, code, ...(Object.keys(params).length ? { params } : {}) });
  }
  const seen = new Set<string>();
  return errors.filter((e) => !seen.has(e.field) && seen.add(e.field));
}

export type Parsed<K extends Kind> = { ok: true; row: RowInput<K> } | { ok: false; fields: FieldError[] };

/** Validates a row as sent (JSON body or form); read-only columns are ignored. */
export function parseRow<K extends Kind>(kind: K, input: unknown): Parsed<K> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, fields: [{ field: 'row', code: 'row_object' }] };
  }
  const body: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const key of READ_ONLY) delete body[key];
  const result = ROW_SCHEMAS[kind].safeParse(body);
  if (result.success) return { ok: true, row: result.data as RowInput<K> };
  return { ok: false, fields: fieldErrorsOf(result.error) };
}

/** A stored row as the API returns it. */
export type StoredRow = { id: number; system_name: string; name_key: string } & Record<string, unknown>;

/** The columns read for each kind. */
export function columnsOf(kind: Kind): string[] {
  return ['id', ...FIELDS[kind], ...READ_ONLY.slice(1)];
}

/** A database row → the API shape (jsonb may come back as text from some drivers). */
export function storedRow(kind: Kind, row: Record<string, unknown>): StoredRow {
  const out: Record<string, unknown> = {};
  for (const column of columnsOf(kind)) out[column] = row[column];
  if (kind === 'lot' && typeof out.checks === 'string') out.checks = JSON.parse(out.checks) as unknown;
  return out as StoredRow;
}

/** What the audit log keeps of a row: its id and fields, not the bookkeeping columns. */
export function snapshot(kind: Kind, row: StoredRow): Record<string, unknown> {
  const out: Record<string, unknown> = { id: row.id };
  for (const field of FIELDS[kind]) out[field] = row[field];
  return out;
}
