/**
 * The database: knex over `pg` when a DATABASE_URL is configured, otherwise an embedded PGlite
 * (real PostgreSQL compiled to WebAssembly) in DATA_DIR, or in memory for ':memory:'.
 * The same migrations and queries run on both.
 *
 * PGlite runs inside one process: a DATA_DIR is locked (`<DATA_DIR>/pglite.lock`) while a process
 * has it open, and a second process (a command while the server runs, a second server) is refused
 * with a message instead of both writing to the same files.
 * What knex itself reports (lost connections, failed acquires, deprecations) goes to the log as JSON.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { inspect } from 'node:util';

import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

import { migrationSource } from '../../migrations/index.js';
import { AppError } from '../errors.js';
import { createLogger, urlPasswords, withoutSecrets, type Logger } from '../logger.js';

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
  destroy(callback?: (err?: unknown) => void): Promise<void>;
}

/** The DATA_DIR lock of each embedded client that opened a directory, released when it is destroyed. */
const clientLocks = new WeakMap<object, DataDirLock>();

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

    override async destroy(callback?: (err?: unknown) => void): Promise<void> {
      try {
        await super.destroy(callback);
      } finally {
        clientLocks.get(this)?.release();
      }
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
  /** Where knex's own warnings and errors go (default: a JSON logger on stdout, level warn). */
  log?: Logger;
  /** Who opens the embedded database, as a second process is told (default: "a running server"). */
  holder?: string;
}

export function createDb(opts: DbOptions): Db {
  if (opts.databaseUrl) {
    const log = knexLog(opts.log ?? defaultLog(), urlPasswords(opts.databaseUrl));
    return knexFactory({
      client: 'pg',
      connection: opts.databaseUrl,
      pool: { min: 0, max: opts.poolMax ?? 10, log: (message: string, level: string) => log[level === 'warn' ? 'warn' : 'debug'](message) },
      acquireConnectionTimeout: 10_000,
      log,
    });
  }
  const dataDir = opts.dataDir ?? ':memory:';
  const log = knexLog(opts.log ?? defaultLog(), []);
  if (dataDir === ':memory:') {
    return knexFactory({ client: embeddedClientClass(), dialect: 'postgres', connection: {}, log });
  }
  const dir = path.join(dataDir, 'pglite');
  fs.mkdirSync(dir, { recursive: true });
  // Before PGlite opens the directory: knex creates the driver (and PGlite its files) at once.
  const lock = lockDataDir(dataDir, opts.holder ?? 'a running server');
  try {
    const db = knexFactory({ client: embeddedClientClass(), dialect: 'postgres', connection: { filename: dir }, log });
    clientLocks.set(db.client, lock);
    return db;
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** Another live process has the embedded database of this DATA_DIR open. */
export class DataDirInUseError extends AppError {
  readonly pid: number;

  constructor(dataDir: string, pid: number, holder: string, lockFile: string) {
    super({
      code: 'data_dir_in_use',
      status: 503,
      detail:
        `DATA_DIR ${dataDir} is in use by ${holder} (pid ${pid}): stop it first, ` +
        'or run the server and the commands against PostgreSQL (DATABASE_URL). ' +
        `If no such process is running, delete ${lockFile}.`,
    });
    this.pid = pid;
  }
}

export interface DataDirLock {
  readonly file: string;
  /** Give the directory free (idempotent). Also done when the process exits. */
  release(): void;
}

/** The lock files this process holds: a lock file naming this pid but not listed here is stale. */
const heldLocks = new Set<string>();

/** The file that says which process has the embedded database of `dataDir` open. */
export function dataDirLockFile(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'pglite.lock');
}

/**
 * Take the embedded database of `dataDir` for this process, or throw DataDirInUseError when a live
 * process holds it. The lock file holds the pid and `holder`; it is written in full before it
 * appears (a hard link, which fails when the file exists). A lock left by a process that is gone
 * (killed, crashed, or an earlier life of this pid, as after a container restart) is taken over.
 */
export function lockDataDir(dataDir: string, holder: string): DataDirLock {
  const file = dataDirLockFile(dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const content = `${process.pid}\n${holder.replace(/\s+/g, ' ')}\n`;
  const draft = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(draft, content, { mode: 0o644 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(draft, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const existing = readLock(file);
      if (!existing) {
        if (attempt < 10) continue; // removed meanwhile: try again
        throw new Error(`cannot lock ${file}: it keeps appearing and disappearing`);
      }
      const stale = !isAlive(existing.pid) || (existing.pid === process.pid && !heldLocks.has(file));
      // Several processes taking over the same stale lock: one wins, the others see its live pid.
      if (!stale || attempt >= 3) throw new DataDirInUseError(dataDir, existing.pid, existing.holder, file);
      // Remove it only if it is still the one just read.
      if (readLock(file)?.raw === existing.raw) fs.rmSync(file, { force: true });
    }
  } finally {
    fs.rmSync(draft, { force: true });
  }
  heldLocks.add(file);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    heldLocks.delete(file);
    // Only our own file: never one another process took over after this one was considered stale.
    try {
      if (fs.readFileSync(file, 'utf8') === content) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
  process.on('exit', release);
  return { file, release };
}

function readLock(file: string): { pid: number; holder: string; raw: string } | undefined {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const [pidLine = '', holder = ''] = raw.split('\n');
  const pid = Number.parseInt(pidLine, 10);
  return { pid: Number.isSafeInteger(pid) && pid > 0 ? pid : 0, holder: holder.trim() || 'another process', raw };
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let fallbackLog: Logger | undefined;
function defaultLog(): Logger {
  fallbackLog ??= createLogger('warn');
  return fallbackLog;
}

type KnexLog = Required<Pick<Knex.Logger, 'warn' | 'error' | 'debug' | 'deprecate'>>;

/**
 * knex's logger, writing to ours: the first line of a message is the log message, the rest (a
 * stack) goes to `detail`; anything that is not text is inspected. Passwords are removed.
 */
function knexLog(log: Logger, secrets: readonly string[]): KnexLog {
  const write = (level: 'warn' | 'error' | 'debug', message: unknown): void => {
    if (!log.isLevelEnabled(level)) return;
    const text = withoutSecrets(typeof message === 'string' ? message : inspect(message, { depth: 4, breakLength: Infinity }), secrets);
    const newline = text.indexOf('\n');
    const fields = newline < 0 ? { source: 'knex' } : { source: 'knex', detail: text.slice(newline + 1) };
    log[level](fields, newline < 0 ? text : text.slice(0, newline));
  };
  return {
    warn: (message: unknown) => write('warn', message),
    error: (message: unknown) => write('error', message),
    debug: (message: unknown) => write('debug', message),
    // knex passes the finished sentence as the first argument.
    deprecate: (method: string, alternative?: string) => write('warn', alternative ? `${method} is deprecated, please use ${alternative}` : method),
  };
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
