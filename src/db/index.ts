/**
 * The database: knex over `pg` when a DATABASE_URL is configured, otherwise an embedded PGlite
 * (real PostgreSQL compiled to WebAssembly) in DATA_DIR, or in memory for ':memory:'.
 * The same migrations and queries run on both.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

import { migrationSource } from '../../migrations/index.js';

// Return BIGINT (int8) and NUMERIC as JS numbers/strings consistently on pg; timestamps stay Dates.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));

export type Db = Knex;

/** A timestamp as a Date, whether the driver gave a Date or it was read inside JSON (ISO string). */
export function asDate(value: Date | string): Date;
export function asDate(value: Date | string | null): Date | null;
export function asDate(value: Date | string | null): Date | null {
  return typeof value === 'string' ? new Date(value) : value;
}

/**
 * knex-pglite labels deletes "DEL", so knex's postgres dialect does not recognise them and returns
 * the raw result instead of the affected row count. Name them as PostgreSQL does.
 */
interface ResponseProcessor {
  processResponse(obj: { method?: string; response: { affectedRows?: number } }, runner: unknown): unknown;
}

let embeddedClient: typeof Knex.Client | undefined;

/** The embedded database's knex client, loaded on first use: a server on PostgreSQL never loads PGlite. */
function embeddedClientClass(): typeof Knex.Client {
  if (embeddedClient) return embeddedClient;
  const PgLiteBase = createRequire(import.meta.url)('knex-pglite') as new (config: Knex.Config) => ResponseProcessor;
  class EmbeddedClient extends PgLiteBase {
    override processResponse(obj: { method?: string; response: { affectedRows?: number } }, runner: unknown): unknown {
      if (obj.method === 'del') return obj.response.affectedRows ?? 0;
      return super.processResponse(obj, runner);
    }
  }
  embeddedClient = EmbeddedClient as unknown as typeof Knex.Client;
  return embeddedClient;
}

export interface DbOptions {
  databaseUrl?: string | undefined;
  /** Directory of the embedded database, or ':memory:'. Ignored when databaseUrl is set. */
  dataDir?: string;
  poolMax?: number;
}

export function createDb(opts: DbOptions): Db {
  if (opts.databaseUrl) {
    return knexFactory({
      client: 'pg',
      connection: opts.databaseUrl,
      pool: { min: 0, max: opts.poolMax ?? 10 },
      acquireConnectionTimeout: 10_000,
    });
  }
  const dataDir = opts.dataDir ?? ':memory:';
  let connection: Record<string, string> = {};
  if (dataDir !== ':memory:') {
    const dir = path.join(dataDir, 'pglite');
    fs.mkdirSync(dir, { recursive: true });
    connection = { filename: dir };
  }
  return knexFactory({
    client: embeddedClientClass(),
    dialect: 'postgres',
    connection,
  });
}

export function isEmbedded(db: Db): boolean {
  return db.client.config.client !== 'pg';
}

/** Bring the schema up to date. Safe to call from several instances at once (knex migration lock). */
export async function migrate(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

/** True when a trivial query answers within the pool's acquire timeout. */
export async function ping(db: Db): Promise<boolean> {
  try {
    await db.raw('select 1');
    return true;
  } catch {
    return false;
  }
}
