/**
 * The embedded database lives in one process: while a server has DATA_DIR open, the commands
 * (and a second server) refuse to run, at once and with a message saying what to do.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDb, lockDataDir, migrate } from '../../src/db/index.js';
import { runEntry, type ChildRun } from '../helpers/child.js';
import { freePort } from '../helpers/server.js';

type Run = ChildRun;

/**
 * Run an entry point as `npm run cli` and `npm start` do (tsx), with the embedded database in
 * `dataDir` (no DATABASE_URL, whatever the test run uses: these are about the embedded database).
 */
const run = (entry: string, args: string[], dataDir: string, extraEnv: Record<string, string> = {}): Promise<Run> =>
  runEntry(entry, args, { DATA_DIR: dataDir, ...extraEnv });

const inUse = (dataDir: string, pid: number) =>
  `DATA_DIR ${dataDir} is in use by a running server (pid ${pid}): stop it first, or run the server and the commands against PostgreSQL (DATABASE_URL).`;

let dataDir: string;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scl-datadir-'));
});
afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('a DATA_DIR in use by a running server', () => {
  it('refuses the commands at once, saying what to do, without a stack trace', async () => {
    const lock = lockDataDir(dataDir, 'a running server');
    try {
      const add = await run('src/cli.ts', ['clients', 'add', '--name', 'My service', '--redirect-uri', 'https://my.example.ch/callback'], dataDir);
      expect(add.status).toBe(1);
      expect(add.stderr).toContain(inUse(dataDir, process.pid));
      expect(add.stderr).not.toMatch(/^\s+at /m);
      expect(add.stdout).not.toContain('client_id');
      const grant = await run('src/cli.ts', ['admin', 'grant', '+41791234567', '--role', 'verifier'], dataDir);
      expect(grant.status).toBe(1);
      expect(grant.stderr).toContain(inUse(dataDir, process.pid));
      expect(fs.readFileSync(lock.file, 'utf8')).toBe(`${process.pid}\na running server\n`);
    } finally {
      lock.release();
    }
  }, 90_000);

  it('refuses a second server on the same DATA_DIR before it opens anything', async () => {
    const lock = lockDataDir(dataDir, 'a running server');
    try {
      const second = await run('src/main.ts', [], dataDir, { PORT: String(await freePort()), SIMULATOR_PORT: String(await freePort()), LOG_LEVEL: 'warn' });
      expect(second.status).toBe(1);
      expect(second.stderr).toContain(inUse(dataDir, process.pid));
      expect(second.stderr).not.toMatch(/^\s+at /m);
      expect(fs.readdirSync(dataDir).sort()).toEqual(['pglite', 'pglite.lock']);
    } finally {
      lock.release();
    }
  }, 60_000);

  it('runs the commands once the server has stopped, and frees DATA_DIR after each', async () => {
    const add = await run('src/cli.ts', ['clients', 'add', '--name', 'My service', '--redirect-uri', 'https://my.example.ch/callback'], dataDir);
    expect(add.stderr).not.toContain('in use');
    expect(add.status).toBe(0);
    const clientId = /client_id:\s+(\S+)/.exec(add.stdout)?.[1];
    expect(clientId).toBeTruthy();
    expect(fs.existsSync(path.join(dataDir, 'pglite.lock'))).toBe(false);

    const list = await run('src/cli.ts', ['clients', 'list'], dataDir);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain(`${clientId}\tMy service`);
    expect(fs.existsSync(path.join(dataDir, 'pglite.lock'))).toBe(false);
  }, 120_000);

  it('while a command runs, a server on the same DATA_DIR is told which command holds it', async () => {
    const db = createDb({ dataDir, holder: 'the command "clients list"' });
    try {
      await migrate(db);
      expect(() => createDb({ dataDir })).toThrow(`DATA_DIR ${dataDir} is in use by the command "clients list" (pid ${process.pid})`);
    } finally {
      await db.destroy();
    }
    const again = createDb({ dataDir });
    try {
      // The same database, as the first left it.
      expect(await migrate(again)).toEqual([]);
    } finally {
      await again.destroy();
    }
    expect(fs.existsSync(path.join(dataDir, 'pglite.lock'))).toBe(false);
  }, 60_000);

  it('leaves in-memory databases alone: any number of them, no lock', async () => {
    const a = createDb({ dataDir: ':memory:' });
    const b = createDb({});
    try {
      expect((await a.raw('select 1 as one')).rows).toEqual([{ one: 1 }]);
      expect((await b.raw('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await a.destroy();
      await b.destroy();
    }
    expect(fs.existsSync(':memory:')).toBe(false);
  }, 60_000);
});
