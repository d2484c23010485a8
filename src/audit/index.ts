/**
 * The append-only audit log: every verification, every serial mismatch, every admin change.
 * Never write full phone or AHV numbers into it; pass masked values or account ids.
 */
import type { Db } from '../db/index.js';

export interface AuditEvent {
  actor: string;
  action: string;
  subject?: string | undefined;
  before?: unknown;
  after?: unknown;
  detail?: unknown;
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

export async function audit(db: Db, event: AuditEvent): Promise<void> {
  await db('audit_events').insert({
    actor: event.actor,
    action: event.action,
    subject: event.subject ?? null,
    before: json(event.before),
    after: json(event.after),
    detail: json(event.detail),
  });
}

export async function auditTrail(db: Db, subject: string, limit = 100): Promise<(AuditEvent & { at: Date })[]> {
  return db('audit_events').where({ subject }).orderBy('id', 'desc').limit(limit).select('at', 'actor', 'action', 'subject', 'before', 'after', 'detail');
}
