import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConfig, maskUrl, startupError, type Config } from '../../src/config.js';
import { AppError, ConfigError } from '../../src/errors.js';

/** Words of zod's own messages, which must never reach an operator. */
const ZOD_WORDING = /Invalid input|Too (big|small)|expected (number|int|string)|received/;

/** The message loadConfig throws for this environment ('' when it does not throw). */
function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).detail ?? '';
  }
  return '';
}

describe('configuration', () => {
  it('has sensible defaults for a newcomer', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.issuer).toBe('http://localhost:3000');
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toMatch(/data$/);
    expect(c.sandbox).toBe(true);
    expect(c.insecureDefaults).toEqual(['KEY_ENCRYPTION_KEY', 'COOKIE_SECRETS']);
    expect(c.memorySoftLimitMb).toBe(200);
  });

  it('derives the issuer from PORT and trims a trailing slash from ISSUER', () => {
    expect(loadConfig({ PORT: '8080' }).issuer).toBe('http://localhost:8080');
    expect(loadConfig({ ISSUER: 'https://login.example.ch/' }).issuer).toBe('https://login.example.ch');
  });

  it.each([
    [{ PORT: 'abc' }, /PORT must be an integer between 1 and 65535 \(got "abc"\)/],
    [{ PORT: '70000' }, /PORT must be an integer/],
    [{ ISSUER: 'ftp://x' }, /ISSUER must be an http\(s\) URL/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres:\/\//],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ SANDBOX: 'maybe' }, /SANDBOX must be true or false/],
    [{ DEFAULT_LOCALE: 'es' }, /DEFAULT_LOCALE must be one of en, de, fr, it/],
    [{ ACCESS_TOKEN_TTL: '5' }, /ACCESS_TOKEN_TTL must be a whole number of seconds >= 60/],
    [{ RESOURCE_SERVERS: 'not a url=read' }, /RESOURCE_SERVERS entry "not a url"/],
    [{ MEMORY_SOFT_LIMIT_MB: '-1' }, /MEMORY_SOFT_LIMIT_MB must be 0 \(off\) or a whole number of MB up to 1000000 \(got "-1"\)/],
    [{ DATABASE_POOL_MAX: 'abc' }, /DATABASE_POOL_MAX must be a whole number between 1 and 200 \(got "abc"\)/],
    [{ DATABASE_POOL_MAX: '500' }, /DATABASE_POOL_MAX must be a whole number between 1 and 200 \(got "500"\)/],
    [{ CLIENT_CACHE_SECONDS: '1.5' }, /CLIENT_CACHE_SECONDS must be 0 \(off\) or a whole number of seconds \(got "1.5"\)/],
    [{ MEMORY_SOFT_LIMIT_MB: '2.5' }, /MEMORY_SOFT_LIMIT_MB must be 0 \(off\) or a whole number of MB/],
    [{ MOBILEID_POLL_INTERVAL_MS: '1.5' }, /MOBILEID_POLL_INTERVAL_MS must be a number of milliseconds between 500 and 30000 \(got "1.5"\)/],
    [{ SRS_CLAIMED_IDENTITY: 'x'.repeat(256) }, /SRS_CLAIMED_IDENTITY must be at most 255 characters/],
  ])('names the invalid value %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('hides secret values in the error', () => {
    let message = '';
    try {
      loadConfig({ KEY_ENCRYPTION_KEY: 'short-secret' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/KEY_ENCRYPTION_KEY must be at least 32 characters \(value hidden\)/);
    expect(message).not.toContain('short-secret');
  });

  it('requires real secrets and https in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', ISSUER: 'https://login.example.ch', COOKIE_SECRETS: 'c'.repeat(32) })).toThrow(/KEY_ENCRYPTION_KEY is required/);
    expect(() => loadConfig({ NODE_ENV: 'production', ISSUER: 'http://login.example.ch', COOKIE_SECRETS: 'c'.repeat(32), KEY_ENCRYPTION_KEY: 'k'.repeat(32) })).toThrow(/ISSUER must be an https URL/);
    const c = loadConfig({ NODE_ENV: 'production', MOBILEID_AP_ID: 'mid://login.example.ch', ISSUER: 'https://login.example.ch', COOKIE_SECRETS: `${'a'.repeat(32)},${'b'.repeat(32)}`, KEY_ENCRYPTION_KEY: 'k'.repeat(32) });
    expect(c.sandbox).toBe(false);
    expect(c.cookieSecrets).toHaveLength(2);
  });

  it('gives every numeric variable a message of its own, never the wording of the validator', () => {
    const numeric = [
      'PORT', 'SIMULATOR_PORT', 'DATABASE_POOL_MAX', 'DATABASE_WAIT_SECONDS', 'MEMORY_SOFT_LIMIT_MB', 'SWEEP_INTERVAL_SECONDS', 'ACCESS_TOKEN_TTL',
      'ID_TOKEN_TTL', 'REFRESH_TOKEN_TTL', 'SESSION_TTL', 'CLIENT_CACHE_SECONDS', 'MOBILEID_POLL_INTERVAL_MS',
      'SRS_TIMEOUT_MS', 'SRS_POLL_INTERVAL_MS', 'SRS_CATALOGUE_CACHE_SECONDS', 'SRS_IDENTIFICATION_TTL_SECONDS',
      'FREJA_TIMEOUT_MS', 'FREJA_POLL_INTERVAL_MS', 'UPI_TIMEOUT_MS', 'COUNTER_CASE_TTL_DAYS', 'COUNTER_LOCK_MINUTES',
    ];
    for (const name of numeric) {
      for (const value of ['abc', '1.5', '-7', '99999999999999999999', '0x10', ' ']) {
        const message = configError({ [name]: value });
        expect(message, `${name}=${value}`).toMatch(new RegExp(`^Invalid configuration: ${name} must be [^;]+ \\(got "${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\)$`));
        expect(message, `${name}=${value}`).not.toMatch(ZOD_WORDING);
      }
    }
    expect(loadConfig({ DATABASE_POOL_MAX: ' 20 ', CLIENT_CACHE_SECONDS: '0', MEMORY_SOFT_LIMIT_MB: '0' })).toMatchObject({ databasePoolMax: 20, clientCacheSeconds: 0, memorySoftLimitMb: 0 });
  });

  it('shows a DATABASE_URL without its password', () => {
    const message = configError({ DATABASE_URL: 'mysql://scl:topsecret@db.example.ch/x' });
    expect(message).toBe('Invalid configuration: DATABASE_URL must be a postgres:// or postgresql:// connection URL (got "mysql://scl:***@db.example.ch/x")');
    expect(configError({ DATABASE_URL: 'host=db password=topsecret' })).toBe('Invalid configuration: DATABASE_URL must be a postgres:// or postgresql:// connection URL (value hidden)');
  });

  it('masks the credentials of a URL', () => {
    expect(maskUrl('postgres://scl:topsecret@127.0.0.1:5432/x')).toBe('postgres://scl:***@127.0.0.1:5432/x');
    expect(maskUrl('postgres://scl:p%40ss@db/x?sslmode=require&password=topsecret')).toBe('postgres://scl:***@db/x?sslmode=require&password=***');
    expect(maskUrl('postgres://postgres@%2Fvar%2Frun%2Fpostgresql/servicecore_login')).toBe('postgres://postgres@%2Fvar%2Frun%2Fpostgresql/servicecore_login');
    expect(maskUrl('not a url, password topsecret')).toBeUndefined();
  });

  it('refuses a SIMULATOR_PORT equal to PORT when the sandbox simulators run', () => {
    expect(configError({ PORT: '3933', SIMULATOR_PORT: '3933' })).toBe(
      'Invalid configuration: SIMULATOR_PORT must differ from PORT: the sandbox simulators listen on a port of their own (got 3933 for both)',
    );
    // No simulators: SIMULATOR_PORT is not used.
    expect(loadConfig({ PORT: '3933', SIMULATOR_PORT: '3933', SANDBOX: 'false' }).port).toBe(3933);
    expect(loadConfig({ PORT: '3933', SIMULATOR_PORT: '3933', MOBILEID_URL: 'https://mobileid.example.ch' }).port).toBe(3933);
    expect(loadConfig({ PORT: '65535' }).simulatorPort).toBe(65534);
  });

  describe('directories', () => {
    let tmp: string;
    let file: string;
    beforeAll(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scl-config-'));
      file = path.join(tmp, 'afile');
      fs.writeFileSync(file, 'not a directory');
    });
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it('refuses a DATA_DIR that is a file or lies under one', () => {
      expect(configError({ DATA_DIR: file })).toBe(`Invalid configuration: DATA_DIR must be a directory or a path where one can be created: it is a file (got "${file}")`);
      expect(configError({ DATA_DIR: path.join(file, 'data') })).toBe(
        `Invalid configuration: DATA_DIR must be a directory or a path where one can be created: ${file} is a file (got "${path.join(file, 'data')}")`,
      );
      const relative = path.relative(process.cwd(), file);
      expect(configError({ DATA_DIR: relative })).toContain(`(got "${relative}", i.e. ${file})`);
    });

    it('accepts a DATA_DIR that exists or can be created, and ignores it when nothing uses it', () => {
      expect(loadConfig({ DATA_DIR: tmp }).dataDir).toBe(tmp);
      expect(loadConfig({ DATA_DIR: path.join(tmp, 'new', 'data') }).dataDir).toBe(path.join(tmp, 'new', 'data'));
      expect(fs.existsSync(path.join(tmp, 'new'))).toBe(false);
      // PostgreSQL and no simulators: DATA_DIR holds nothing.
      expect(loadConfig({ DATA_DIR: file, DATABASE_URL: 'postgres://db/x', SANDBOX: 'false' }).dataDir).toBe(file);
      expect(configError({ DATA_DIR: file, DATABASE_URL: 'postgres://db/x' })).toMatch(/^Invalid configuration: DATA_DIR must be a directory/);
    });

    it('refuses a POLICY_DIR that is not a directory of policy files', () => {
      expect(configError({ POLICY_DIR: '/nonexistent' })).toBe(
        'Invalid configuration: POLICY_DIR must be a directory holding the policy files (qor.json, mobileid.json, …): no such directory (got "/nonexistent")',
      );
      expect(configError({ POLICY_DIR: file })).toMatch(/^Invalid configuration: POLICY_DIR must be a directory holding the policy files .*: it is a file \(got "/);
      expect(configError({ POLICY_DIR: tmp })).toMatch(/POLICY_DIR must be .*: qor\.json is missing, mobileid\.json is missing \(got "/);
      expect(loadConfig({ POLICY_DIR: 'policies' }).policyDir).toBe(path.resolve('policies'));
    });
  });
});

describe('start-up failures named by their configuration value', () => {
  const base: Config = loadConfig({ PORT: '3000', SIMULATOR_PORT: '3001', DATA_DIR: '/var/lib/login' });
  const withDb: Config = { ...base, databaseUrl: 'postgres://scl:hunter2-secret@db.example.ch:5432/login' };
  const sysError = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields);
  const message = (err: unknown, config: Config, step: 'database' | 'server') => {
    const e = startupError(err, config, step);
    expect(e).toBeInstanceOf(ConfigError);
    const text = e!.detail!;
    expect(text).not.toContain('\n');
    expect(text).not.toContain('hunter2-secret');
    return text;
  };

  it('names PORT or SIMULATOR_PORT, and HOST, when the server cannot listen', () => {
    const inUse = (port: number, address: string) => sysError(`listen EADDRINUSE: address already in use ${address}:${port}`, { code: 'EADDRINUSE', syscall: 'listen', address, port });
    expect(message(inUse(3000, '0.0.0.0'), base, 'server')).toBe(
      'Invalid configuration: PORT 3000 on HOST 0.0.0.0 is already in use by another process (EADDRINUSE): stop that process or choose another PORT',
    );
    expect(message(inUse(3001, '127.0.0.1'), base, 'server')).toBe(
      'Invalid configuration: SIMULATOR_PORT 3001 on 127.0.0.1 (HOST 0.0.0.0) is already in use by another process (EADDRINUSE): stop that process or choose another SIMULATOR_PORT (default: PORT + 1)',
    );
    expect(message(sysError('listen EACCES: permission denied 0.0.0.0:3000', { code: 'EACCES', syscall: 'listen', address: '0.0.0.0', port: 3000 }), base, 'server')).toMatch(
      /^Invalid configuration: PORT 3000 on HOST 0.0.0.0 needs privileges this process does not have \(EACCES\)/,
    );
    const elsewhere = { ...base, host: '10.9.9.9' };
    expect(message(sysError('listen EADDRNOTAVAIL', { code: 'EADDRNOTAVAIL', syscall: 'listen', address: '10.9.9.9', port: 3000 }), elsewhere, 'server')).toBe(
      'Invalid configuration: HOST must be an address of this machine (EADDRNOTAVAIL; got "10.9.9.9", PORT 3000)',
    );
    const unknown = { ...base, host: 'bogus.invalid' };
    expect(message(sysError('getaddrinfo ENOTFOUND bogus.invalid', { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'bogus.invalid' }), unknown, 'server')).toBe(
      'Invalid configuration: HOST must be a name or address of this machine: it cannot be resolved (ENOTFOUND; got "bogus.invalid")',
    );
  });

  it('names DATABASE_URL, without its password, and says what failed', () => {
    const masked = 'got "postgres://scl:***@db.example.ch:5432/login"';
    expect(message(sysError('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED', syscall: 'connect' }), withDb, 'database')).toBe(
      `Invalid configuration: DATABASE_URL cannot be used: the connection was refused: is PostgreSQL running at that host and port? (ECONNREFUSED; ${masked})`,
    );
    // Node's connection to every address of a name fails as one AggregateError without a message.
    const aggregate = Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' });
    expect(message(aggregate, withDb, 'database')).toContain('DATABASE_URL cannot be used: the connection was refused');
    expect(message(sysError('getaddrinfo ENOTFOUND db.example.ch', { code: 'ENOTFOUND' }), withDb, 'database')).toBe(
      `Invalid configuration: DATABASE_URL cannot be used: its host name cannot be resolved (ENOTFOUND; ${masked})`,
    );
    const timeout = Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' });
    expect(message(timeout, withDb, 'database')).toContain('DATABASE_URL cannot be used: the server did not answer in time (ETIMEDOUT;');
    expect(message(sysError('password authentication failed for user "scl"', { code: '28P01' }), withDb, 'database')).toContain('the server refused the user name or password (28P01;');
    expect(message(sysError('no pg_hba.conf entry, password hunter2-secret', {}), withDb, 'database')).toBe(
      `Invalid configuration: DATABASE_URL cannot be used: it cannot be connected to: no pg_hba.conf entry, password *** (${masked})`,
    );
  });

  it('names DATA_DIR when the embedded database or the sandbox material cannot be written', () => {
    const enotdir = sysError("ENOTDIR: not a directory, mkdir '/var/lib/login/pglite'", { code: 'ENOTDIR', syscall: 'mkdir', path: '/var/lib/login/pglite' });
    expect(message(enotdir, base, 'database')).toBe(
      'Invalid configuration: DATA_DIR must be a directory this process can write in: a part of its path is a file, not a directory (ENOTDIR: /var/lib/login/pglite; got "/var/lib/login")',
    );
    const eacces = sysError('EACCES: permission denied', { code: 'EACCES', syscall: 'open', path: '/var/lib/login/simulators/mobileid/ca.pem' });
    expect(message(eacces, base, 'server')).toMatch(/^Invalid configuration: DATA_DIR must be a directory this process can write in: permission denied \(EACCES: /);
    expect(message(new Error('Aborted()'), base, 'database')).toBe('Invalid configuration: DATA_DIR holds an embedded database that cannot be opened: Aborted() (got "/var/lib/login")');
  });

  it('names POLICY_DIR when a policy file cannot be used', () => {
    const unreadable = new ConfigError(`Cannot read the policy ${path.join(base.policyDir, 'qor.json')}: Unexpected end of JSON input`);
    expect(message(unreadable, base, 'server')).toBe(
      `Invalid configuration: POLICY_DIR holds a policy file that cannot be used: Cannot read the policy ${path.join(base.policyDir, 'qor.json')}: Unexpected end of JSON input (got "${base.policyDir}")`,
    );
    const named = new ConfigError('Invalid configuration: MOBILEID_CLIENT_CERT_FILE cannot be read (ENOENT: /etc/cert.pem)');
    expect(startupError(named, base, 'server')).toBe(named);
  });

  it('leaves other failures alone', () => {
    expect(startupError(new Error('boom'), base, 'server')).toBeUndefined();
    expect(startupError(sysError('connect ECONNREFUSED 127.0.0.1:443', { code: 'ECONNREFUSED', syscall: 'connect' }), base, 'server')).toBeUndefined();
    expect(startupError(new AppError({ code: 'data_dir_in_use', detail: 'DATA_DIR /var/lib/login is in use' }), base, 'database')).toBeUndefined();
    expect(startupError(new Error('boom'), { ...base, dataDir: ':memory:' }, 'database')).toBeUndefined();
  });
});
