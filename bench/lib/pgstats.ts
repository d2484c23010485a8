/**
 * PostgreSQL activity of one database between two moments, from pg_stat_database: transactions
 * and rows read or written. PostgreSQL publishes a backend's counters when it goes idle, at most
 * once a second, so a delta over a window of many seconds is accurate to about a second's worth.
 */
import type { Knex } from 'knex';

export interface PgSnapshot {
  at: number;
  xactCommit: number;
  xactRollback: number;
  tupReturned: number;
  tupFetched: number;
  tupInserted: number;
  tupUpdated: number;
  tupDeleted: number;
  blksRead: number;
  blksHit: number;
  backends: number;
}

export interface PgActivity {
  seconds: number;
  /** Totals over the window. */
  commits: number;
  rollbacks: number;
  rowsReturned: number;
  rowsFetched: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
  blocksRead: number;
  blocksHit: number;
  /** Connections to the database at the end. */
  backends: number;
}

export async function pgSnapshot(admin: Knex, database: string): Promise<PgSnapshot> {
  const { rows } = (await admin.raw(
    `select xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, blks_read, blks_hit, numbackends
       from pg_stat_database where datname = ?`,
    [database],
  )) as { rows: Record<string, string | number>[] };
  const r = rows[0] ?? {};
  const n = (k: string) => Number(r[k] ?? 0);
  return {
    at: performance.now(),
    xactCommit: n('xact_commit'),
    xactRollback: n('xact_rollback'),
    tupReturned: n('tup_returned'),
    tupFetched: n('tup_fetched'),
    tupInserted: n('tup_inserted'),
    tupUpdated: n('tup_updated'),
    tupDeleted: n('tup_deleted'),
    blksRead: n('blks_read'),
    blksHit: n('blks_hit'),
    backends: n('numbackends'),
  };
}

export function pgActivity(a: PgSnapshot, b: PgSnapshot): PgActivity {
  return {
    seconds: Math.round((b.at - a.at) / 100) / 10,
    commits: b.xactCommit - a.xactCommit,
    rollbacks: b.xactRollback - a.xactRollback,
    rowsReturned: b.tupReturned - a.tupReturned,
    rowsFetched: b.tupFetched - a.tupFetched,
    rowsInserted: b.tupInserted - a.tupInserted,
    rowsUpdated: b.tupUpdated - a.tupUpdated,
    rowsDeleted: b.tupDeleted - a.tupDeleted,
    blocksRead: b.blksRead - a.blksRead,
    blocksHit: b.blksHit - a.blksHit,
    backends: b.backends,
  };
}

/** Per-table access counters (pg_stat_user_tables of the connected database). */
export interface TableCounters {
  seqScans: number;
  seqRowsRead: number;
  indexScans: number;
  indexRowsFetched: number;
  inserted: number;
  updated: number;
  hotUpdated: number;
  deleted: number;
  liveRows: number;
  deadRows: number;
}

export async function tableSnapshot(db: Knex): Promise<Record<string, TableCounters>> {
  const { rows } = (await db.raw(
    `select relname, seq_scan, seq_tup_read, idx_scan, idx_tup_fetch, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, n_live_tup, n_dead_tup
       from pg_stat_user_tables`,
  )) as { rows: Record<string, string | number | null>[] };
  const out: Record<string, TableCounters> = {};
  for (const r of rows) {
    const n = (k: string) => Number(r[k] ?? 0);
    out[String(r.relname)] = {
      seqScans: n('seq_scan'),
      seqRowsRead: n('seq_tup_read'),
      indexScans: n('idx_scan'),
      indexRowsFetched: n('idx_tup_fetch'),
      inserted: n('n_tup_ins'),
      updated: n('n_tup_upd'),
      hotUpdated: n('n_tup_hot_upd'),
      deleted: n('n_tup_del'),
      liveRows: n('n_live_tup'),
      deadRows: n('n_dead_tup'),
    };
  }
  return out;
}

/** Changes between two table snapshots (live and dead rows: the value at the end); tables without activity are left out. */
export function tableActivity(a: Record<string, TableCounters>, b: Record<string, TableCounters>): Record<string, TableCounters> {
  const out: Record<string, TableCounters> = {};
  for (const [name, end] of Object.entries(b)) {
    const start = a[name];
    const d = (k: keyof TableCounters) => end[k] - (start?.[k] ?? 0);
    const delta: TableCounters = {
      seqScans: d('seqScans'),
      seqRowsRead: d('seqRowsRead'),
      indexScans: d('indexScans'),
      indexRowsFetched: d('indexRowsFetched'),
      inserted: d('inserted'),
      updated: d('updated'),
      hotUpdated: d('hotUpdated'),
      deleted: d('deleted'),
      liveRows: end.liveRows,
      deadRows: end.deadRows,
    };
    if (delta.seqScans || delta.indexScans || delta.inserted || delta.updated || delta.deleted) out[name] = delta;
  }
  return out;
}

/** Per-index scans and index entries read (pg_stat_user_indexes of the connected database), keyed "table.index". */
export async function indexSnapshot(db: Knex): Promise<Record<string, { scans: number; entriesRead: number }>> {
  const { rows } = (await db.raw(`select relname, indexrelname, idx_scan, idx_tup_read from pg_stat_user_indexes`)) as {
    rows: { relname: string; indexrelname: string; idx_scan: string | number; idx_tup_read: string | number }[];
  };
  return Object.fromEntries(rows.map((r) => [`${r.relname}.${r.indexrelname}`, { scans: Number(r.idx_scan), entriesRead: Number(r.idx_tup_read) }]));
}

export function indexActivity(
  a: Record<string, { scans: number; entriesRead: number }>,
  b: Record<string, { scans: number; entriesRead: number }>,
): { index: string; scans: number; entriesRead: number }[] {
  return Object.entries(b)
    .map(([index, end]) => ({ index, scans: end.scans - (a[index]?.scans ?? 0), entriesRead: end.entriesRead - (a[index]?.entriesRead ?? 0) }))
    .filter((x) => x.scans > 0)
    .sort((x, y) => y.entriesRead - x.entriesRead);
}

/** When PostgreSQL last analysed a table (its planner statistics), automatically or by hand. */
export async function lastAnalyzed(db: Knex, table: string): Promise<Date | undefined> {
  const { rows } = (await db.raw(`select greatest(last_autoanalyze, last_analyze) as at from pg_stat_user_tables where relname = ?`, [table])) as {
    rows: { at: Date | null }[];
  };
  return rows[0]?.at ?? undefined;
}
