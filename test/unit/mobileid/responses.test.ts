import { describe, expect, it } from 'vitest';

import { MobileIdError } from '../../../src/mobileid/errors.js';
import {
  faultToError,
  mobileIdSerialFromSubject,
  processProfileResponse,
  processReceiptResponse,
  processSignatureResponse,
  processStatusResponse,
} from '../../../src/mobileid/responses.js';
import { thrownBy } from '../shared/errors.js';
import { fixtureJson } from './helpers.js';

type Processor = (httpStatus: number, json: unknown) => unknown;

const thrown = (fn: () => unknown) => thrownBy(MobileIdError, fn);

describe('every recorded REST response (rest-responses/_index.json)', () => {
  const index = fixtureJson('rest-responses/_index.json') as { file: string; postman_request: string; http_status: number }[];
  const processorFor = (request: string): Processor =>
    request.startsWith('MSS_Signature')
      ? processSignatureResponse
      : request.startsWith('MSS_StatusReq')
        ? processStatusResponse
        : request.startsWith('MSS_Receipt')
          ? processReceiptResponse
          : processProfileResponse;

  it('lists the eleven recordings', () => {
    expect(index).toHaveLength(11);
  });

  it.each(index.map((e) => [e.file, e] as const))('%s parses (or is a typed fault)', (_f, entry) => {
    const json = fixtureJson(entry.file);
    const run = () => processorFor(entry.postman_request)(entry.http_status, json);
    if (entry.http_status === 500) {
      const e = thrown(run);
      expect(e.providerCode).toBeGreaterThan(100);
    } else {
      expect(run()).toBeTruthy();
    }
  });
});

describe('recorded successes', () => {
  it('async signature accepted (100)', () => {
    const r = processSignatureResponse(200, fixtureJson('rest-responses/sign-async-100-REQUEST_OK.json'), {
      apTransId: 'POSTMAN.28299.852',
      msisdn: '+41700092501',
    });
    expect(r).toEqual({
      state: 'accepted',
      statusCode: 100,
      msspTransId: 'HEhm82c1',
      apTransId: 'POSTMAN.28299.852',
      msisdn: '41700092501',
      signatureProfile: 'http://mid.swisscom.ch/STK-LoA4',
      app2appAuthUri: undefined,
    });
  });

  it('sync signature (500) with CMS and geofencing', () => {
    const r = processSignatureResponse(200, fixtureJson('rest-responses/sign-sync-500-SIGNATURE-ec-geofencing.json'));
    if (r.state !== 'signed') throw new Error('expected signed');
    expect(r.statusCode).toBe(500);
    expect(r.msspTransId).toBe('HEhm77lu');
    expect(r.msisdn).toBe('41700092501');
    expect(r.signatureProfile).toBe('http://mid.swisscom.ch/STK-LoA4');
    expect(r.base64Signature).toMatch(/^MIAGCSqGSIb3DQEHAqCA/);
    expect(r.base64Signature).toHaveLength(9216);
    expect(r.geofencing).toEqual({
      kind: 'location',
      country: 'CH',
      accuracyMeters: 105,
      deviceConfidence: 0.9,
      locationConfidence: 0.9,
      timestamp: '2024-07-02T08:53:10.537+02:00',
    });
  });

  it('status: signature (500) without a signature profile, and outstanding (504)', () => {
    const signed = processStatusResponse(200, fixtureJson('rest-responses/status-500-SIGNATURE-ec-geofencing.json'), { apTransId: 'POSTMAN.92682.372' });
    expect(signed).toMatchObject({ state: 'signed', statusCode: 500, apTransId: 'POSTMAN.92682.372', signatureProfile: undefined, msisdn: '41700092501' });
    if (signed.state === 'signed') expect(signed.geofencing).toMatchObject({ kind: 'location', country: 'CH' });
    const pending = processStatusResponse(200, fixtureJson('rest-responses/status-504-OUTSTANDING_TRANSACTION.json'), { msisdn: '41797895164' });
    expect(pending).toEqual({ state: 'outstanding', statusCode: 504, apTransId: 'POSTMAN.92285.257', msisdn: '41797895164' });
  });

  it('receipt (100), plain and with the user response', () => {
    expect(processReceiptResponse(200, fixtureJson('rest-responses/receipt-100-REQUEST_OK.json'))).toEqual({
      statusCode: 100,
      apTransId: 'POSTMAN.41427.300',
      userAck: undefined,
      clientAck: undefined,
      networkAck: undefined,
      userResponse: undefined,
    });
    expect(processReceiptResponse(200, fixtureJson('rest-responses/receipt-sync-userresponse-OK.json'))).toMatchObject({
      userAck: true,
      clientAck: false,
      networkAck: false,
      userResponse: 'OK',
    });
  });

  it('profile (100): active SIM with EC certificate chain and card details', () => {
    const r = processProfileResponse(200, fixtureJson('rest-responses/profile-100-REQUEST_OK-ec-sim.json'));
    expect(r.activeMethods).toEqual(['sim']);
    expect(r.signatureProfiles).toContain('http://mid.swisscom.ch/Any-LoA4');
    expect(r.signatureProfiles).toHaveLength(4);
    expect(r.autoActivation).toBe(false);
    expect(r.recoveryCodeCreated).toBe(false);
    expect(r.sscds).toHaveLength(1);
    const sim = r.sscds[0]!;
    expect(sim).toMatchObject({ type: 'sim', state: 'ACTIVE', active: true, pinBlocked: false, cardDetails: { mcc: '228', mnc: '01', network: 'Swisscom' } });
    expect(sim.certificates).toHaveLength(1);
    expect(sim.certificates[0]).toMatchObject({ algorithm: 'EC', state: 'ACTIVE', mobileIdSerial: 'MIDCHEO16P1O6E92' });
    expect(sim.certificates[0]!.certificates).toHaveLength(3);
  });
});

describe('recorded faults keep the provider code', () => {
  it.each([
    ['rest-responses/sign-fault-105-UNKNOWN_CLIENT.json', 105, 'unknown_client', 'Sender', 400],
    ['rest-responses/profile-fault-105-UNKNOWN_CLIENT.json', 105, 'unknown_client', 'Sender', 400],
    ['rest-responses/sign-fault-107-INAPPROPRIATE_DATA.json', 107, 'inappropriate_data', 'Sender', 500],
    ['rest-responses/sign-fault-208-EXPIRED_TRANSACTION.json', 208, 'expired_transaction', 'Receiver', 408],
    ['client-java-samples/rest-response-fault-user-cancel.json', 401, 'user_cancel', 'Sender', 403],
    ['client-java-samples/gen-material-MSS_Fault.json', 101, 'wrong_param', 'Sender', 400],
  ] as const)('%s → %i %s', (file, providerCode, code, role, status) => {
    const e = thrown(() => processSignatureResponse(500, fixtureJson(file)));
    expect(e.code).toBe(code);
    expect(e.providerCode).toBe(providerCode);
    expect(e.faultRole).toBe(role);
    expect(e.status).toBe(status);
    expect(e.messageKey).toBe(`mobileid.fault.${providerCode}`);
    expect(e.providerReason).toMatch(/^[A-Z_]+$/);
    expect(e.transient).toBe(false);
  });

  it('900 is transient; an undocumented sub-code is unknown_fault with its number', () => {
    const fault = (sub: string) => ({ Fault: { Code: { Value: 'Receiver', SubCode: { Value: sub } }, Reason: 'X', Detail: 'd' } });
    const e900 = thrown(() => processStatusResponse(500, fault('_900')));
    expect(e900).toMatchObject({ code: 'internal_error', providerCode: 900, transient: true, status: 503 });
    const e777 = thrown(() => processStatusResponse(500, fault('_777')));
    expect(e777).toMatchObject({ code: 'unknown_fault', providerCode: 777, status: 502, messageKey: 'mobileid.error.unknown_fault' });
    expect(e777.params).toEqual({ code: 777 });
    expect(thrown(() => processStatusResponse(500, fault('mss:_401'))).code).toBe('user_cancel');
    expect(thrown(() => processStatusResponse(500, fault('401'))).code).toBe('malformed_response');
  });

  it('keeps phone numbers out of the error detail', () => {
    const e = faultToError({
      Fault: { Code: { Value: 'Receiver', SubCode: { Value: '_404' } }, Reason: 'NO_KEY_FOUND', Detail: 'See http://mobileid.ch?msisdn=41791234567' },
    });
    expect(e.code).toBe('no_key_found');
    expect(e.detail).not.toContain('41791234567');
    expect(e.detail).toContain('+417******67');
  });
});

describe('client-java samples (placeholders where they parse)', () => {
  it('async signature and its App2App variants', () => {
    for (const f of ['rest-response-async-signature.json', 'rest-response-async-signature-app2app-only.json', 'rest-response-async-signature-app2app-EN-language.json']) {
      expect(processSignatureResponse(200, fixtureJson(`client-java-samples/${f}`))).toMatchObject({
        state: 'accepted',
        msspTransId: 'CAFE_BABE',
        signatureProfile: 'http://mid.swisscom.ch/My-Custom-Profile',
      });
    }
  });

  it('signatures with geofencing (CH, RO) and with App2App', () => {
    const ch = processSignatureResponse(200, fixtureJson('client-java-samples/rest-response-signature.json'));
    expect(ch).toMatchObject({ state: 'signed', msisdn: '418888888888', geofencing: { kind: 'location', country: 'CH', accuracyMeters: 16 } });
    const ro = processStatusResponse(200, fixtureJson('client-java-samples/rest-response-status-signature.json'));
    expect(ro).toMatchObject({ state: 'signed', geofencing: { kind: 'location', country: 'RO', deviceConfidence: 0.5, locationConfidence: 1 } });
    const app = processStatusResponse(200, fixtureJson('client-java-samples/rest-response-status-signature-app2app.json'));
    expect(app).toMatchObject({ state: 'signed', geofencing: undefined });
    if (app.state === 'signed') expect(app.app2appAuthUri).toMatch(/^mobileid:\/\/auth\?/);
    expect(processStatusResponse(200, fixtureJson('client-java-samples/rest-response-status-outstanding.json')).state).toBe('outstanding');
  });

  it('a geofencing block with ErrorCode is an error, even next to location values', () => {
    for (const f of ['gen-material-MSS_Signature_Response.json', 'gen-material-MSS_Status_Response.json']) {
      const r = (f.includes('Signature') ? processSignatureResponse : processStatusResponse)(200, fixtureJson(`client-java-samples/${f}`));
      expect(r).toMatchObject({ state: 'signed', geofencing: { kind: 'error', errorCode: 100, errorMessage: 'Geofencing feature disabled' } });
    }
  });

  it('profile queries: SIM with RSA and EC certificates; App active while the SIM is inactive', () => {
    const sim = processProfileResponse(200, fixtureJson('client-java-samples/rest-response-profile-query.json'));
    expect(sim.activeMethods).toEqual(['sim']);
    expect(sim.sscds[0]?.certificates.map((c) => c.algorithm)).toEqual(['RSA', 'EC']);
    expect(sim.sscds[0]?.certificates[0]?.mobileIdSerial).toBe('DEBEXSWW9J4RVRGLTDEU');
    const app = processProfileResponse(200, fixtureJson('client-java-samples/gen-material-MSS_ProfileQuery_Response.json'));
    expect(app.activeMethods).toEqual(['app']);
    expect(app.sscds.map((s) => [s.type, s.state])).toEqual([
      ['sim', 'INACTIVE'],
      ['app', 'ACTIVE'],
    ]);
  });

  it('receipt template', () => {
    expect(processReceiptResponse(200, fixtureJson('client-java-samples/gen-material-MSS_Receipt_Response.json')).userResponse).toBe('OK');
  });
});

describe('unexpected answers are malformed_response, never a crash', () => {
  const processors: [string, Processor][] = [
    ['signature', processSignatureResponse],
    ['status', processStatusResponse],
    ['receipt', processReceiptResponse],
    ['profile', processProfileResponse],
  ];

  it.each(processors)('%s: junk bodies', (_name, process) => {
    for (const body of [undefined, null, 0, 'x', [], {}, { MSS_SignatureResp: null, MSS_StatusResp: [], MSS_ReceiptResp: 1, MSS_ProfileResp: 'x' }]) {
      expect(thrown(() => process(200, body)).code).toBe('malformed_response');
    }
    expect(thrown(() => process(404, undefined)).code).toBe('malformed_response');
    expect(thrown(() => process(500, { error: 'oops' })).code).toBe('malformed_response');
    expect(thrown(() => process(500, { Fault: { Code: {} } })).code).toBe('malformed_response');
  });

  it.each(processors)('%s: a proxy 502/503/504 without a Fault is a transient unavailability', (_name, process) => {
    for (const status of [502, 503, 504]) expect(thrown(() => process(status, undefined))).toMatchObject({ code: 'unavailable', transient: true, status: 503 });
  });

  it('signature/status: missing pieces', () => {
    const base = fixtureJson('rest-responses/sign-async-100-REQUEST_OK.json') as { MSS_SignatureResp: Record<string, unknown> };
    const patch = (p: Record<string, unknown>) => ({ MSS_SignatureResp: { ...base.MSS_SignatureResp, ...p } });
    expect(thrown(() => processSignatureResponse(200, patch({ MSSP_TransID: undefined }))).detail).toMatch(/without MSSP_TransID/);
    expect(thrown(() => processSignatureResponse(200, patch({ Status: { StatusCode: { Value: 'abc' } } }))).code).toBe('malformed_response');
    expect(thrown(() => processSignatureResponse(200, patch({ Status: { StatusCode: { Value: '500' } } }))).detail).toMatch(/without MSS_Signature/);
    expect(thrown(() => processSignatureResponse(200, patch({ Status: { StatusCode: { Value: '504' } } }))).detail).toMatch(/unexpected status 504/);
    expect(thrown(() => processSignatureResponse(200, patch({ AP_Info: undefined }))).code).toBe('malformed_response');
    expect(processSignatureResponse(200, patch({ Status: { StatusCode: { Value: 100 } } })).state).toBe('accepted');
  });

  it('status 501 and 503 are failures with their own codes', () => {
    const status = (v: string, m: string) => ({
      MSS_StatusResp: { AP_Info: { AP_TransID: 'A1' }, MobileUser: { MSISDN: '41791234567' }, Status: { StatusCode: { Value: v }, StatusMessage: m } },
    });
    expect(thrown(() => processStatusResponse(200, status('501', 'REVOKED_CERTIFICATE')))).toMatchObject({ code: 'revoked_certificate', providerCode: 501 });
    expect(thrown(() => processStatusResponse(200, status('503', 'INVALID_SIGNATURE')))).toMatchObject({ code: 'invalid_signature', providerCode: 503 });
    expect(thrown(() => processStatusResponse(200, status('100', 'REQUEST_OK'))).code).toBe('malformed_response');
  });

  it('a response for another transaction or number is refused (masked in the detail)', () => {
    const json = fixtureJson('rest-responses/sign-async-100-REQUEST_OK.json');
    expect(thrown(() => processSignatureResponse(200, json, { apTransId: 'OTHER' })).code).toBe('response_mismatch');
    const e = thrown(() => processSignatureResponse(200, json, { msisdn: '41791234567' }));
    expect(e.code).toBe('response_mismatch');
    expect(e.detail).not.toMatch(/41700092501|41791234567/);
  });

  it('an unreadable geofencing block does not hide the signature but is marked unreadable', () => {
    const json = fixtureJson('rest-responses/status-500-SIGNATURE-ec-geofencing.json') as { MSS_StatusResp: Record<string, unknown> };
    for (const geofencing of ['x', { Country: 'Switzerland', Accuracy: '1', DeviceConfidence: '1', LocationConfidence: '1', Timestamp: '2024-07-02T10:00:00Z' }, { Country: 'CH', Accuracy: 'far', DeviceConfidence: '1', LocationConfidence: '1', Timestamp: 'x' }, { ErrorCode: 'abc' }]) {
      const r = processStatusResponse(200, { MSS_StatusResp: { ...json.MSS_StatusResp, ServiceResponses: [{ Description: 'http://mid.swisscom.ch/as#geofencing', Geofencing: geofencing }] } });
      expect(r).toMatchObject({ state: 'signed', geofencing: { kind: 'unreadable' } });
    }
  });

  it('random mutations of every recorded body only ever yield a result or a MobileIdError', () => {
    const files = [
      ['rest-responses/sign-sync-500-SIGNATURE-ec-geofencing.json', processSignatureResponse],
      ['rest-responses/sign-async-100-REQUEST_OK.json', processSignatureResponse],
      ['rest-responses/status-500-SIGNATURE-ec-geofencing.json', processStatusResponse],
      ['rest-responses/status-504-OUTSTANDING_TRANSACTION.json', processStatusResponse],
      ['rest-responses/receipt-sync-userresponse-OK.json', processReceiptResponse],
      ['rest-responses/profile-100-REQUEST_OK-ec-sim.json', processProfileResponse],
      ['rest-responses/sign-fault-208-EXPIRED_TRANSACTION.json', processSignatureResponse],
    ] as const;
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const replacements: unknown[] = [null, undefined, 0, -1, 1.5, '', 'x', '999', true, [], {}, [1, 'a'], { Value: '500' }];
    const paths = (v: unknown, prefix: (string | number)[] = []): (string | number)[][] =>
      typeof v === 'object' && v !== null
        ? [prefix, ...Object.entries(v).flatMap(([k, c]) => paths(c, [...prefix, Array.isArray(v) ? Number(k) : k]))]
        : [prefix];
    let outcomes = 0;
    for (const [file, process] of files) {
      const original = fixtureJson(file);
      const all = paths(original).filter((p) => p.length > 0);
      for (let i = 0; i < 150; i += 1) {
        const copy = structuredClone(original) as Record<string | number, unknown>;
        const path = all[rand(all.length)]!;
        let node: Record<string | number, unknown> = copy;
        for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
        node[path[path.length - 1]!] = replacements[rand(replacements.length)];
        for (const status of [200, 500]) {
          try {
            process(status, copy);
          } catch (e) {
            expect(e).toBeInstanceOf(MobileIdError);
          }
          outcomes += 1;
        }
      }
    }
    expect(outcomes).toBe(files.length * 150 * 2);
  });
});

describe('Mobile ID serial number from a subject name', () => {
  it.each([
    ['cn=midcheo16p1o6e92:pn,serialnumber=midcheo16p1o6e92', 'MIDCHEO16P1O6E92'],
    ['cn=midcheptod58qe59:pn,serialnumber=midcheptod58qe59,pseudonym=midcheptod58qe59', 'MIDCHEPTOD58QE59'],
    ['c=ch,o=swisscom,cn=Swisscom Root CA 4', undefined],
  ])('%s → %s', (subject, serial) => {
    expect(mobileIdSerialFromSubject(subject)).toBe(serial);
  });
});
