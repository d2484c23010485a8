/**
 * A fresh database per test file: in-memory (or a temporary directory) PGlite by default, a newly
 * created PostgreSQL database when DATABASE_URL is set.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';

import knexFactory from 'knex';

import { createDb, migrate, type Db } from '../../src/db/index.js';

export const serverUrl = process.env.DATABASE_URL;

export interface TestDatabase {
  /** Open a connection (again, after a simulated restart). */
  open(): Db;
  /** The DATABASE_URL of the fresh database, or undefined for the embedded one. */
  url: string | undefined;
  /** The DATA_DIR of the embedded database. */
  dataDir: string;
  cleanup(): Promise<void>;
}

export async function createTestDatabase(opts: { persistent?: boolean } = {}): Promise<TestDatabase> {
  if (serverUrl) {
    const name = `scl_test_${crypto.randomBytes(6).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
    await admin.raw(`create database ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      dataDir: ':memory:',
      open: () => createDb({ databaseUrl: url.toString(), poolMax: 5 }),
      cleanup: async () => {
        await admin.raw(`drop database if exists ${name} with (force)`);
        await admin.destroy();
      },
    };
  }
  const dataDir = opts.persistent ? fs.mkdtempSync(path.join(os.tmpdir(), 'scl-test-')) : ':memory:';
  return {
    url: undefined,
    dataDir,
    open: () => createDb({ dataDir }),
    cleanup: async () => {
      if (dataDir !== ':memory:') fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A migrated database that lives for one test file. */
export async function migratedDb(): Promise<{ db: Db; cleanup(): Promise<void> }> {
  const tdb = await createTestDatabase();
  const db = tdb.open();
  await migrate(db);
  return {
    db,
    cleanup: async () => {
      await db.destroy();
      await tdb.cleanup();
    },
  };
}
