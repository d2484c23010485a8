/** The UPI_* configuration, and that AHV numbers stay out of the logs. */
import { Writable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';
import { AHV_MESSAGES } from '../../../src/verification/ahv/index.js';

describe('UPI configuration', () => {
  it('has sandbox defaults in sandbox mode and none outside', () => {
    const sandbox = loadConfig({ NODE_ENV: 'development' }).upi;
    expect(sandbox).toEqual({
      url: undefined,
      senderId: 'sedex://T0-ZZ-SANDBOX',
      spidCategory: 'SANDBOX.SPID',
      clientCertFile: undefined,
      clientKeyFile: undefined,
      serverCaFile: undefined,
      timeoutMs: 10_000,
      testDeliveryFlag: true,
      rateLimitPerAccount: { max: 5, windowSeconds: 3600 },
    });
    const off = loadConfig({ NODE_ENV: 'development', SANDBOX: 'false' }).upi;
    expect(off).toMatchObject({ url: undefined, senderId: undefined, spidCategory: undefined, testDeliveryFlag: false });
  });

  it('reads every key', () => {
    const upi = loadConfig({
      UPI_URL: 'https://upi.example.ch/wupispid/ws/queryService/2',
      UPI_SENDER_ID: 'sedex://T1-CH-12',
      UPI_SPID_CATEGORY: 'CH.SERVICECORE',
      UPI_CLIENT_CERT_FILE: '/etc/upi/cert.pem',
      UPI_CLIENT_KEY_FILE: '/etc/upi/key.pem',
      UPI_SERVER_CA_FILE: '/etc/upi/ca.pem',
      UPI_TIMEOUT_MS: '5000',
      UPI_TEST_DELIVERY: 'false',
      UPI_RATE_LIMIT_PER_ACCOUNT: '3/600',
    }).upi;
    expect(upi).toEqual({
      url: 'https://upi.example.ch/wupispid/ws/queryService/2',
      senderId: 'sedex://T1-CH-12',
      spidCategory: 'CH.SERVICECORE',
      clientCertFile: '/etc/upi/cert.pem',
      clientKeyFile: '/etc/upi/key.pem',
      serverCaFile: '/etc/upi/ca.pem',
      timeoutMs: 5000,
      testDeliveryFlag: false,
      rateLimitPerAccount: { max: 3, windowSeconds: 600 },
    });
  });

  it('names invalid values', () => {
    expect(() => loadConfig({ UPI_URL: 'ftp://x' })).toThrow(/UPI_URL must be an http\(s\) URL/);
    expect(() => loadConfig({ UPI_TIMEOUT_MS: '50' })).toThrow(/UPI_TIMEOUT_MS must be a number of milliseconds between 200 and 60000/);
    expect(() => loadConfig({ UPI_SPID_CATEGORY: 'has space' })).toThrow(/UPI_SPID_CATEGORY/);
    expect(() => loadConfig({ UPI_SENDER_ID: 'T1-CH-12' })).toThrow(/UPI_SENDER_ID/);
  });
});

describe('logs', () => {
  it('never carry an AHV number', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const log = createLogger('info', sink);
    log.info({ ahv_number: '756.1234.5678.97', body: { ahv_number: '7561234567897' }, vn: '7561234567897' }, 'form posted');
    log.info('checked 756.1234.5678.97 and 7561234567897');
    const out = lines.join('');
    expect(out).not.toMatch(/1234/);
    expect(out).toContain('[redacted]');
    expect(out).toContain('756.****.****.**');
  });
});

describe('messages', () => {
  it('exist in en, de, fr and it for every key, for every outcome and error', () => {
    const keys = Object.keys(AHV_MESSAGES.en).sort();
    for (const locale of ['de', 'fr', 'it'] as const) expect(Object.keys(AHV_MESSAGES[locale]).sort()).toEqual(keys);
    for (const outcome of ['confirmed', 'not_confirmed', 'rate_limited']) expect(keys).toContain(`verification.ahv.${outcome}`);
    // One message for every number that is not confirmed: none tells anything about the holder.
    for (const outcome of ['inactive', 'cancelled', 'not_found', 'deceased', 'mismatch']) expect(keys).not.toContain(`verification.ahv.${outcome}`);
    for (const code of ['unavailable', 'timeout', 'soap_fault', 'rejected', 'malformed_response', 'response_mismatch']) expect(keys).toContain(`verification.ahv.error.${code}`);
  });
});
