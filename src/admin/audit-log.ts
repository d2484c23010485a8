/** Reading the append-only audit log (written by src/audit) for the admin console and API. */
import type { Db } from '../db/index.js';

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  action: string;
  subject: string | null;
  before: unknown;
  after: unknown;
  detail: unknown;
}

export interface AuditQuery {
  /** Exact subject, e.g. `qor:urn:servicecore:qor:300`. */
  subject?: string | undefined;
  /** Action prefix, e.g. `policy.` or `policy.qor.update`. */
  action?: string | undefined;
  /** Only events older than this id (paging). */
  beforeId?: number | undefined;
  limit?: number | undefined;
}

export const AUDIT_PAGE_MAX = 500;

const json = (v: unknown): unknown => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v ?? null);

/** The most recent events first. */
export async function listAudit(db: Db, query: AuditQuery = {}): Promise<AuditEntry[]> {
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? 100), 1), AUDIT_PAGE_MAX);
  const q = db('audit_events').select('id', 'at', 'actor', 'action', 'subject', 'before', 'after', 'detail').orderBy('id', 'desc').limit(limit);
  if (query.subject) q.where({ subject: query.subject });
  if (query.action) q.whereRaw("action like ? escape '\\'", [`${query.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`]);
  if (query.beforeId !== undefined && Number.isSafeInteger(query.beforeId)) q.where('id', '<', query.beforeId);
  const rows = (await q) as (Omit<AuditEntry, 'id'> & { id: number | string | bigint })[];
  return rows.map((r) => ({ ...r, id: Number(r.id), before: json(r.before), after: json(r.after), detail: json(r.detail) }));
}
