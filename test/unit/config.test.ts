import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config.js';

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
    [{ MEMORY_SOFT_LIMIT_MB: '-1' }, /MEMORY_SOFT_LIMIT_MB must be 0 \(off\) or a number of MB/],
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
});
