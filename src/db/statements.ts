/**
 * Named statements for the hot paths (every token request runs a few): plain SQL with `$n`
 * parameters, sent on a connection of knex's own pool without knex's query builder. On PostgreSQL
 * each is prepared once per connection (node-postgres caches it by name), so the server parses and
 * plans it once; on the embedded database it is an ordinary parameterised query.
 *
 * A prepared statement soon runs on a generic plan, made once and kept until the table's statistics
 * change. For a table that fills up from empty before it is first analysed (a new deployment, a
 * burst of logins) that plan may read a whole index per row wanted, so statements on such tables
 * can ask for `plan: 'each'`: sent unnamed, PostgreSQL plans them for their values every time.
 * Everything else goes through knex.
 */
import crypto from 'node:crypto';

import type { Knex } from 'knex';

import type { Db } from './index.js';

export interface Statement {
  /** Unique per distinct text: the name a connection prepares it under. */
  readonly name: string;
  readonly text: string;
  /** `once` (default): prepared under its name; `each`: planned at every execution. */
  readonly plan: 'once' | 'each';
}

export interface StatementResult<R> {
  rows: R[];
  /** Rows inserted, updated or deleted. */
  count: number;
}

interface PgConnection {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}
interface PgLiteConnection {
  query(text: string, values: unknown[]): Promise<{ rows: unknown[]; affectedRows?: number }>;
}

interface PoolClient {
  config: { client?: unknown };
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

export function statement(name: string, text: string, opts: { plan?: Statement['plan'] } = {}): Statement {
  return { name, text, plan: opts.plan ?? 'once' };
}

/** Runs a statement; rows come back as the driver gives them (jsonb parsed, timestamps as Dates). */
export async function run<R = Record<string, unknown>>(db: Db, stmt: Statement, values: unknown[]): Promise<StatementResult<R>> {
  const client = db.client as unknown as PoolClient;
  const connection = await client.acquireConnection();
  try {
    if (client.config.client === 'pg') {
      const res = await (connection as PgConnection).query(stmt.plan === 'once' ? { name: stmt.name, text: stmt.text, values } : { text: stmt.text, values });
      return { rows: res.rows as R[], count: res.rowCount ?? 0 };
    }
    const res = await (connection as PgLiteConnection).query(stmt.text, values);
    return { rows: res.rows as R[], count: res.affectedRows ?? 0 };
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * How statements of concurrent requests are batched (a DataLoader's options): the lookups or
 * writes asked for in one turn of the event loop go to the database together, at most 64 in one
 * statement (more would make one statement wait for a slow row; fewer, more round trips).
 */
export const BATCH_OPTIONS = {
  cache: false,
  maxBatchSize: 64,
  batchScheduleFn: (callback: () => void): void => void setImmediate(callback),
} as const;

/**
 * A write (insert, update or delete) to run with others: SQL with parameters `$1…$n` and their
 * values. The text holds no other `$` (no literals, no dollar quoting): its parameters are
 * renumbered when it joins others.
 */
export interface Write {
  text: string;
  values: unknown[];
}

/** The write a knex query builder stands for, to run with others in `runWrites`. */
export function writeOf(query: Knex.QueryBuilder): Write {
  const { sql, bindings } = query.toSQL().toNative();
  return { text: sql, values: bindings.map((v) => (v === undefined ? null : v)) };
}

/**
 * Several writes to different tables in one statement (data-modifying `with` parts): one round
 * trip, and one transaction, so either all of them are written or none. The statement is prepared
 * under a name of its text: a connection plans each combination of writes once. (The writes joined
 * here are inserts and changes of rows by their key, whose generic plans are as good as any.)
 */
export async function runWrites(db: Db, writes: readonly Write[]): Promise<void> {
  if (!writes.length) return;
  const values: unknown[] = [];
  const parts = writes.map((write, i) => {
    const offset = values.length;
    values.push(...write.values);
    return `w${i} as (${write.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`;
  });
  const text = `with ${parts.join(', ')} select 1`;
  await run(db, statement(`writes_${crypto.createHash('sha1').update(text).digest('base64url')}`, text), values);
}
