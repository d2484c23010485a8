import { describe, expect, it } from 'vitest';

import { MobileIdError } from '../../../src/mobileid/errors.js';
import {
  buildProfileRequest,
  buildReceiptRequest,
  buildSignatureRequest,
  buildStatusRequest,
  createApTransIdGenerator,
  formatInstant,
  isNcName,
  SIGNATURE_PROFILES,
  type RequestHeader,
} from '../../../src/mobileid/protocol.js';
import { fixtureText } from './helpers.js';

const header: RequestHeader = {
  apId: 'mid://dev.swisscom.ch',
  apPassword: 'not-used',
  apTransId: 'SCLlx2k9a.1.00ff00ff00ff00ff',
  instant: '2024-07-02T10:04:25.372+02:00',
};

/** A recorded Postman request with its {{variables}} filled in. */
function recorded(file: string, vars: Record<string, string>): string {
  const text = fixtureText(`rest-requests/${file}`).replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`no value for {{${name}}}`);
    return v;
  });
  // Same keys in the same order: compare the canonical serialisations.
  return JSON.stringify(JSON.parse(text));
}

const common = { AP_ID: header.apId, instant: header.instant, apTransId: header.apTransId, MSISDN: '41700092501' };

describe('request bodies match the recorded Postman requests key for key', () => {
  it('MSS Signature, async with geofencing', () => {
    const body = buildSignatureRequest(header, {
      msisdn: '+41 70 009 25 01',
      dtbd: 'Test: Sign in from Postman?',
      userLang: 'EN',
      signatureProfile: SIGNATURE_PROFILES.sim,
      timeoutSeconds: 60,
      geofencing: true,
    });
    expect(JSON.stringify(body)).toBe(
      recorded('sign-async-geofencing.request.json', {
        ...common,
        DataToBeSigned: 'Test: Sign in from Postman?',
        SignatureProfile: SIGNATURE_PROFILES.sim,
        UserLang: 'EN',
      }),
    );
  });

  it('MSS Signature, sync with geofencing (the same shape with MessagingMode synch)', () => {
    const body = buildSignatureRequest(header, {
      msisdn: '41700092501',
      dtbd: 'Hello',
      userLang: 'DE',
      signatureProfile: SIGNATURE_PROFILES.any,
      timeoutSeconds: 60,
      geofencing: true,
      messagingMode: 'synch',
    });
    expect(JSON.stringify(body)).toBe(
      recorded('sign-sync-geofencing.request.json', { ...common, DataToBeSigned: 'Hello', SignatureProfile: SIGNATURE_PROFILES.any, UserLang: 'DE' }),
    );
  });

  it('MSS Status Query (MSSP_TransID inside MSS_StatusReq, as the openapi and the recording have it)', () => {
    expect(JSON.stringify(buildStatusRequest(header, 'HEhm82c1'))).toBe(recorded('status.request.json', { ...common, MSSP_TransID: 'HEhm82c1' }));
  });

  it('MSS Receipt, plain and with the user acknowledgement extension', () => {
    const p = { msspTransId: 'HEhm82c1', msisdn: '0700092501', message: 'Login successful', userLang: 'FR' as const };
    expect(JSON.stringify(buildReceiptRequest(header, p))).toBe(
      recorded('receipt.request.json', { ...common, MSSP_TransID: 'HEhm82c1', Message: 'Login successful' }),
    );
    expect(JSON.stringify(buildReceiptRequest(header, { ...p, userAck: true }))).toBe(
      recorded('receipt-sync-userresponse.request.json', { ...common, MSSP_TransID: 'HEhm82c1', Message: 'Login successful', UserLang: 'FR' }),
    );
  });

  it('MSS Profile Query (versions 2.0, all extension parameters)', () => {
    expect(JSON.stringify(buildProfileRequest(header, '0041700092501'))).toBe(recorded('profile.request.json', common));
  });
});

describe('signature request options', () => {
  const base = { msisdn: '41791234567', dtbd: 'ACME: Log in? (K7QX3M)', userLang: 'IT' as const };

  it('always carries UserLang; geofencing only on request; App2App last', () => {
    const plain = buildSignatureRequest(header, { ...base, signatureProfile: SIGNATURE_PROFILES.any });
    expect(plain.MSS_SignatureReq.AdditionalServices).toEqual([
      { Description: 'http://mss.ficom.fi/TS102204/v1.0.0#userLang', UserLang: { Value: 'IT' } },
    ]);
    expect(plain.MSS_SignatureReq.MessagingMode).toBe('asynch');
    expect(plain.MSS_SignatureReq.MinorVersion).toBe('2');
    const app2app = buildSignatureRequest(header, { ...base, signatureProfile: SIGNATURE_PROFILES.app, geofencing: true, app2appRedirectUri: 'myapp://example' });
    expect(app2app.MSS_SignatureReq.AdditionalServices.map((s) => s.Description)).toEqual([
      'http://mid.swisscom.ch/as#geofencing',
      'http://mss.ficom.fi/TS102204/v1.0.0#userLang',
      'http://mid.swisscom.ch/as#app2app',
    ]);
    expect(app2app.MSS_SignatureReq.AdditionalServices[2]?.App2App).toEqual({ RedirectUri: 'myapp://example' });
  });

  it('defaults TimeOut to 80 s (SIM) and 40 s for the App profile (section 4.3)', () => {
    expect(buildSignatureRequest(header, { ...base, signatureProfile: SIGNATURE_PROFILES.sim }).MSS_SignatureReq.TimeOut).toBe('80');
    expect(buildSignatureRequest(header, { ...base, signatureProfile: SIGNATURE_PROFILES.any }).MSS_SignatureReq.TimeOut).toBe('80');
    expect(buildSignatureRequest(header, { ...base, signatureProfile: SIGNATURE_PROFILES.app }).MSS_SignatureReq.TimeOut).toBe('40');
  });

  it.each([
    ['an invalid phone number', { msisdn: '079 12' }, 'invalid_msisdn'],
    ['a DTBD over 239 characters', { dtbd: 'x'.repeat(240) }, 'invalid_dtbd'],
    ['an empty DTBD', { dtbd: '' }, 'invalid_dtbd'],
    ['an unknown UserLang', { userLang: 'RM' }, 'invalid_request'],
    ['a TimeOut of 0', { timeoutSeconds: 0 }, 'invalid_request'],
    ['App2App in sync mode', { app2appRedirectUri: 'x://y', messagingMode: 'synch' }, 'invalid_request'],
  ])('refuses %s before sending', (_what, patch, code) => {
    const p = { ...base, signatureProfile: SIGNATURE_PROFILES.any, ...patch } as Parameters<typeof buildSignatureRequest>[1];
    expect(() => buildSignatureRequest(header, p)).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    ['an AP_TransID that is not an NCName', { apTransId: '1abc' }],
    ['an AP_TransID with a space', { apTransId: 'a b' }],
    ['an Instant without a time zone', { instant: '2024-07-02T10:04:25.372' }],
    ['an empty AP_ID', { apId: ' ' }],
  ])('refuses %s', (_what, patch) => {
    expect(() => buildStatusRequest({ ...header, ...patch }, 'h4iof')).toThrow(MobileIdError);
  });

  it('refuses an MSSP_TransID with odd characters', () => {
    expect(() => buildStatusRequest(header, 'a"b')).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(() => buildStatusRequest(header, '')).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});

describe('AP_TransID', () => {
  it('is a unique NCName starting with a letter, even with a constant random source', () => {
    const next = createApTransIdGenerator('SCL', (n) => Buffer.alloc(n));
    const ids = Array.from({ length: 5000 }, () => next());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 50)) {
      expect(isNcName(id)).toBe(true);
      expect(id).toMatch(/^SCL[0-9a-z]+\.[0-9a-z]+\.0{16}$/);
    }
  });

  it('has 64 fresh random bits in each id, drawn from the source 512 ids at a time', () => {
    let calls = 0;
    let byte = 0;
    // A source whose every byte differs from the one before (mod 256): 8-byte parts never repeat within a pool.
    const next = createApTransIdGenerator('SCL', (n) => {
      calls += 1;
      return Buffer.from(Array.from({ length: n }, () => (byte = (byte + 1) % 256)));
    });
    const parts = Array.from({ length: 1025 }, () => next().split('.')[2]!);
    expect(calls).toBe(3);
    expect(parts[0]).toBe('0102030405060708');
    expect(parts[1]).toBe('090a0b0c0d0e0f10');
    expect(parts[512], 'the first id of the second pool').toBe(Buffer.from(Array.from({ length: 8 }, (_, i) => (4096 + i + 1) % 256)).toString('hex'));
    const real = createApTransIdGenerator();
    const randomParts = Array.from({ length: 2000 }, () => real().split('.')[2]!);
    expect(new Set(randomParts).size).toBe(2000);
    for (const part of randomParts) expect(part).toMatch(/^[0-9a-f]{16}$/);
  });

  it('differs between two generators (instances) at the same moment', () => {
    const a = createApTransIdGenerator();
    const b = createApTransIdGenerator();
    expect(a()).not.toBe(b());
  });

  it('refuses a prefix that would not start an NCName', () => {
    expect(() => createApTransIdGenerator('1x')).toThrow(MobileIdError);
    expect(() => createApTransIdGenerator('a-b')).toThrow(MobileIdError);
  });

  it('isNcName follows xsd:NCName for the characters we use', () => {
    expect(isNcName('POSTMAN.35771.134')).toBe(true);
    expect(isNcName('_x')).toBe(true);
    expect(isNcName('REF0101120000')).toBe(true);
    expect(isNcName('1abc')).toBe(false);
    expect(isNcName('a:b')).toBe(false);
    expect(isNcName('')).toBe(false);
  });
});

describe('Instant', () => {
  const t = new Date('2024-07-02T08:04:25.372Z');

  it('carries milliseconds and an explicit offset', () => {
    expect(formatInstant(t, 120)).toBe('2024-07-02T10:04:25.372+02:00');
    expect(formatInstant(t, 0)).toBe('2024-07-02T08:04:25.372+00:00');
    expect(formatInstant(t, -330)).toBe('2024-07-02T02:34:25.372-05:30');
  });

  it('denotes the same instant whatever the offset', () => {
    for (const offset of [0, 60, 120, -300, 345]) expect(Date.parse(formatInstant(t, offset))).toBe(t.getTime());
    expect(Date.parse(formatInstant(t))).toBe(t.getTime());
  });

  it('refuses an invalid date', () => {
    expect(() => formatInstant(new Date('nope'))).toThrow(MobileIdError);
  });
});
