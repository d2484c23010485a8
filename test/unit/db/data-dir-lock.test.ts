import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { DataDirInUseError, dataDirLockFile, lockDataDir, type DataDirLock } from '../../../src/db/index.js';
import { withoutSecrets } from '../../../src/logger.js';

let dataDir: string;
let held: DataDirLock[];

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scl-lock-'));
  held = [];
});
afterEach(() => {
  for (const lock of held) lock.release();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const lock = (holder = 'a running server'): DataDirLock => {
  const l = lockDataDir(dataDir, holder);
  held.push(l);
  return l;
};
const writeLock = (pid: number, holder = 'a running server') => fs.writeFileSync(dataDirLockFile(dataDir), `${pid}\n${holder}\n`);
const lockedBy = () => Number.parseInt(fs.readFileSync(dataDirLockFile(dataDir), 'utf8'), 10);

/** The pid of a process that has ended. */
function deadPid(): number {
  const { pid, status } = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  expect(status).toBe(0);
  return pid!;
}

describe('the lock of an embedded database directory', () => {
  it('is held by this process until released, and leaves nothing behind', () => {
    const l = lock();
    expect(l.file).toBe(path.join(dataDir, 'pglite.lock'));
    expect(lockedBy()).toBe(process.pid);
    expect(() => lockDataDir(dataDir, 'the command "clients list"')).toThrow(DataDirInUseError);
    l.release();
    l.release();
    expect(fs.readdirSync(dataDir)).toEqual([]);
    lock();
    expect(lockedBy()).toBe(process.pid);
  });

  it('refuses a directory a live process holds, naming DATA_DIR, the holder and its pid', () => {
    writeLock(process.ppid, 'the command "clients add"');
    let error: unknown;
    try {
      lock();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DataDirInUseError);
    const e = error as DataDirInUseError;
    expect(e.code).toBe('data_dir_in_use');
    expect(e.pid).toBe(process.ppid);
    expect(e.detail).toBe(
      `DATA_DIR ${dataDir} is in use by the command "clients add" (pid ${process.ppid}): stop it first, ` +
        'or run the server and the commands against PostgreSQL (DATABASE_URL). ' +
        `If no such process is running, delete ${path.join(dataDir, 'pglite.lock')}.`,
    );
    expect(lockedBy()).toBe(process.ppid);
    expect(fs.readdirSync(dataDir)).toEqual(['pglite.lock']);
  });

  it('takes over a lock whose process is gone', () => {
    writeLock(deadPid());
    lock();
    expect(lockedBy()).toBe(process.pid);
  });

  it('takes over a lock of an earlier process with the same pid (a restarted container)', () => {
    writeLock(process.pid);
    lock();
    expect(lockedBy()).toBe(process.pid);
    expect(() => lockDataDir(dataDir, 'a running server')).toThrow(DataDirInUseError);
  });

  it('takes over an unreadable lock file', () => {
    fs.writeFileSync(dataDirLockFile(dataDir), '');
    lock();
    expect(lockedBy()).toBe(process.pid);
  });

  it('on release, leaves alone a lock another process has taken over meanwhile', () => {
    const l = lock();
    writeLock(process.ppid);
    l.release();
    expect(lockedBy()).toBe(process.ppid);
  });
});

describe('passwords in what knex reports', () => {
  it('are removed from connection strings, key=value settings and wherever the configured one appears', () => {
    expect(withoutSecrets('connect to postgres://app:s3cr%40t@db.example.ch:5432/login failed')).toBe(
      'connect to postgres://app:[redacted]@db.example.ch:5432/login failed',
    );
    expect(withoutSecrets("{ user: 'app', password: 'hunter2', host: 'db' }")).toBe("{ user: 'app', password: [redacted], host: 'db' }");
    expect(withoutSecrets('host=db password=hunter2 dbname=login')).toBe('host=db password=[redacted] dbname=login');
    expect(withoutSecrets('auth with hunter2 failed', ['hunter2'])).toBe('auth with [redacted] failed');
    expect(withoutSecrets('connect ECONNREFUSED 127.0.0.1:5432')).toBe('connect ECONNREFUSED 127.0.0.1:5432');
  });
});
