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

import DataLoader from 'dataloader';
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
  /**
   * The row it changes or may change (`table:key`), or null when it only adds rows (an insert of a
   * new key; a clash with an existing row is an error, never a silent change). Writes of
   * concurrent callers go into one statement only when no two of them name the same row:
   * PostgreSQL changes a row once per statement and silently skips a second update of it.
   */
  row: string | null;
}

/** The write a knex query builder stands for, to run with others in `runWrites`; `row` as in `Write`. */
export function writeOf(query: Knex.QueryBuilder, row: string | null): Write {
  const { sql, bindings } = query.toSQL().toNative();
  return { text: sql, values: bindings.map((v) => (v === undefined ? null : v)), row };
}

/** Callers whose writes join one statement at most (each combination is a statement of its own). */
const CALLERS_PER_STATEMENT = 8;

/**
 * Several writes to different tables in one statement (data-modifying `with` parts): one round
 * trip, and one transaction, so either all of them are written or none.
 *
 * The writes of concurrent callers (those asked for in the same turn of the event loop) share the
 * statement, when no two callers change the same row, a few callers at a time: under load, the
 * logins that finish together cost one round trip and one commit instead of one each. Should that
 * statement fail (one caller's insert clashes with a row, a deadlock), nothing of it was written,
 * and each caller's writes run again on their own, so that only the caller at fault fails.
 *
 * The statement is prepared under a name of its text: a connection plans each combination of
 * writes once. (The writes joined here are inserts and changes of rows by their key, whose generic
 * plans are as good as any.)
 */
export async function runWrites(db: Db, writes: readonly Write[]): Promise<void> {
  if (!writes.length) return;
  let batches = writeBatches.get(db);
  if (!batches) {
    batches = new DataLoader<readonly Write[], void>((batch) => runWriteBatch(db, batch), BATCH_OPTIONS);
    writeBatches.set(db, batches);
  }
  await batches.load(writes);
}

const writeBatches = new WeakMap<Db, DataLoader<readonly Write[], void>>();

async function runWriteBatch(db: Db, callers: readonly (readonly Write[])[]): Promise<(void | Error)[]> {
  const results: (void | Error)[] = new Array(callers.length).fill(undefined);
  const rowsOf = (writes: readonly Write[]) => writes.flatMap((w) => (w.row === null ? [] : [w.row]));
  for (const members of disjointGroups(callers, rowsOf, CALLERS_PER_STATEMENT)) {
    try {
      await runTogether(db, members.map((i) => callers[i]!));
    } catch (err) {
      if (members.length === 1 || !isStatementError(err)) {
        members.forEach((i) => (results[i] = asError(err)));
        continue;
      }
      // Nothing of the statement was written: each caller's writes again, on their own.
      await Promise.all(
        members.map((i) =>
          runTogether(db, [callers[i]!]).catch((own: unknown) => {
            results[i] = asError(own);
          }),
        ),
      );
    }
  }
  return results;
}

/**
 * Batched items (by index) in groups that share no key, of at most `max` items, in the order they
 * came (an item joins the first group it fits): the groups whose items one statement may change
 * together, since PostgreSQL changes a row once per statement.
 */
export function disjointGroups<T>(items: readonly T[], keysOf: (item: T) => readonly string[], max = Infinity): number[][] {
  const groups: { keys: Set<string>; members: number[] }[] = [];
  items.forEach((item, index) => {
    const keys = keysOf(item);
    let group = groups.find((g) => g.members.length < max && keys.every((k) => !g.keys.has(k)));
    if (!group) {
      group = { keys: new Set(), members: [] };
      groups.push(group);
    }
    keys.forEach((k) => group.keys.add(k));
    group.members.push(index);
  });
  return groups.map((g) => g.members);
}

async function runTogether(db: Db, callers: readonly (readonly Write[])[]): Promise<void> {
  const values: unknown[] = [];
  const parts = callers.flat().map((write, i) => {
    const offset = values.length;
    values.push(...write.values);
    return `w${i} as (${write.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`;
  });
  const text = `with ${parts.join(', ')} select 1`;
  await run(db, statement(`writes_${crypto.createHash('sha1').update(text).digest('base64url')}`, text), values);
}

/**
 * An error PostgreSQL reported for the statement itself (a SQLSTATE outside connection failures
 * and shutdowns), after which nothing of it was written. A lost connection leaves that unknown,
 * so its writes are not run again.
 */
function isStatementError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57|53|58|XX)/.test(code);
}

/** What a batch gives each caller it failed for. */
export const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
