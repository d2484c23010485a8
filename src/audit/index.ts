/**
 * The append-only audit log: every verification, every serial mismatch, every admin change.
 * Never write full phone or AHV numbers into it; pass masked values or account ids.
 */
import type { Db } from '../db/index.js';
import { writeOf, type Write } from '../db/statements.js';

export interface AuditEvent {
  actor: string;
  action: string;
  subject?: string | undefined;
  before?: unknown;
  after?: unknown;
  detail?: unknown;
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

const insertQuery = (db: Db, event: AuditEvent) =>
  db('audit_events').insert({
    actor: event.actor,
    action: event.action,
    subject: event.subject ?? null,
    before: json(event.before),
    after: json(event.after),
    detail: json(event.detail),
  });

export async function audit(db: Db, event: AuditEvent): Promise<void> {
  await insertQuery(db, event);
}

/** An audit event as a write to run with the change it records (src/db/statements.ts `runWrites`). */
export const auditWrite = (db: Db, event: AuditEvent): Write => writeOf(insertQuery(db, event), null);

export async function auditTrail(db: Db, subject: string, limit = 100): Promise<(AuditEvent & { at: Date })[]> {
  return db('audit_events').where({ subject }).orderBy('id', 'desc').limit(limit).select('at', 'actor', 'action', 'subject', 'before', 'after', 'detail');
}

/** The most recent event of one action about one subject (e.g. the last serial mismatch of an account). */
export async function latestAuditEvent(db: Db, subject: string, action: string): Promise<(AuditEvent & { at: Date }) | undefined> {
  const row = (await db('audit_events').where({ subject, action }).orderBy('id', 'desc').first('at', 'actor', 'action', 'subject', 'before', 'after', 'detail')) as
    | (AuditEvent & { at: Date })
    | undefined;
  if (!row) return undefined;
  const parsed = (v: unknown): unknown => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v ?? null);
  return { ...row, before: parsed(row.before), after: parsed(row.after), detail: parsed(row.detail) };
}
