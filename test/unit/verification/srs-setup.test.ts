import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../../src/config.js';
import { resolveSrsConfig } from '../../../src/verification/srs/index.js';

const SANDBOX = {
  url: 'http://127.0.0.1:3001/srs',
  tokenUrl: 'http://127.0.0.1:3001/srs/oauth/token',
  rasUrl: 'http://127.0.0.1:3001/srs/ras',
  clientId: 'servicecore-sandbox',
  clientSecret: 'generated',
  callbackIssuer: 'urn:servicecore:sandbox:srs-isp',
  callbackJwksUrl: 'http://127.0.0.1:3001/srs/.well-known/jwks.json',
};

const REAL = {
  SRS_URL: 'https://miss-backend-api-preprod.scapp.swisscom.com',
  SRS_TOKEN_URL: 'https://ras-idp-dev.scapp.swisscom.com/oauth/token',
  SRS_RAS_URL: 'https://ras.scapp.swisscom.com',
  SRS_CLIENT_ID: 'our-client',
  SRS_CLIENT_SECRET: 'our-secret',
  SRS_CALLBACK_ISSUER: 'https://isp.example',
  SRS_CALLBACK_JWKS_URL: 'https://isp.example/jwks',
};

describe('SRS configuration', () => {
  it('has defaults for timeouts, polling, caching and scope', () => {
    const c = loadConfig({ NODE_ENV: 'test' }).srs;
    expect(c).toMatchObject({ url: undefined, scope: 'miss', timeoutMs: 10_000, pollIntervalMs: 5000, catalogueCacheSeconds: 300, identificationTtlSeconds: 86_400, claimedIdentity: 'servicecore-login' });
  });

  it('names bad values', () => {
    expect(() => loadConfig({ SRS_TIMEOUT_MS: '50' })).toThrow(/SRS_TIMEOUT_MS must be a number of milliseconds between 1000 and 60000/);
    expect(() => loadConfig({ SRS_URL: 'ftp://x' })).toThrow(/SRS_URL must be an http\(s\) URL/);
    expect(() => loadConfig({ SRS_POLL_INTERVAL_MS: '100' })).toThrow(/SRS_POLL_INTERVAL_MS/);
  });

  it('uses the simulator in the sandbox, and is off without SRS_URL outside it', () => {
    const c = loadConfig({ NODE_ENV: 'test' }).srs;
    expect(resolveSrsConfig(c, SANDBOX)).toMatchObject(SANDBOX);
    expect(resolveSrsConfig(c, undefined)).toBeUndefined();
  });

  it('uses the real service when SRS_URL is set, and then needs the rest too', () => {
    const full = resolveSrsConfig(loadConfig(REAL).srs, SANDBOX)!;
    expect(full).toMatchObject({ url: REAL.SRS_URL, tokenUrl: REAL.SRS_TOKEN_URL, rasUrl: REAL.SRS_RAS_URL, clientId: 'our-client', callbackIssuer: REAL.SRS_CALLBACK_ISSUER });
    expect(() => resolveSrsConfig(loadConfig({ ...REAL, SRS_CLIENT_SECRET: '', SRS_CALLBACK_JWKS_URL: '' }).srs, SANDBOX)).toThrow(
      'Invalid configuration: SRS_URL is set, so SRS_CLIENT_SECRET, SRS_CALLBACK_JWKS_URL or SRS_CALLBACK_KEY_FILE must be set too',
    );
    expect(() => resolveSrsConfig(loadConfig({ ...REAL, SRS_CLIENT_CERT_FILE: '/x.pem' }).srs, undefined)).toThrow(/SRS_CLIENT_CERT_FILE and SRS_CLIENT_KEY_FILE/);
  });
});
