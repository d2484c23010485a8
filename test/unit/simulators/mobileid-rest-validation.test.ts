import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startMobileIdSimulator, type StartedMobileIdSimulator } from '../../../src/simulators/mobileid/index.js';
import { AP_ID, AP_PWD, apInfo, postJson, PROFILES, signBody, statusBody } from './mobileid-helpers.js';

describe('Mobile ID simulator REST API: request validation', () => {
  let sim: StartedMobileIdSimulator;
  const api = (op: string) => `${sim.url}/rest/service/${op}`;

  beforeAll(async () => {
    sim = await startMobileIdSimulator({ apId: AP_ID, apPassword: AP_PWD, dtbdPrefix: 'ServiceCore: ' });
  });
  afterAll(async () => {
    await sim.close();
  });

  async function faultOf(op: string, body: unknown): Promise<{ code: string; reason: string; detail: string; value: string }> {
    const r = await postJson(api(op), body);
    expect(r.status).toBe(500);
    return {
      code: r.json.Fault.Code.SubCode.Value,
      reason: r.json.Fault.Reason,
      detail: r.json.Fault.Detail,
      value: r.json.Fault.Code.Value,
    };
  }

  it('refuses an unknown AP_ID or a wrong AP_PWD with 104 UNAUTHORIZED_ACCESS', async () => {
    const unknownAp = await faultOf('sign', signBody({ msisdn: '41700092501', ap: apInfo({ AP_ID: 'mid://someone.else' }) }));
    expect(unknownAp).toMatchObject({ code: '_104', reason: 'UNAUTHORIZED_ACCESS', value: 'Sender' });
    const wrongPwd = await faultOf('sign', signBody({ msisdn: '41700092501', ap: apInfo({ AP_PWD: 'wrong' }) }));
    expect(wrongPwd).toMatchObject({ code: '_104', reason: 'UNAUTHORIZED_ACCESS' });
    const status = await faultOf('status', statusBody('HEabcdef', apInfo({ AP_PWD: 'wrong' })));
    expect(status.code).toBe('_104');
  });

  it('answers 101 WRONG_PARAM to a body that is not JSON', async () => {
    expect(await faultOf('sign', '{"MSS_SignatureReq": ')).toMatchObject({ code: '_101', reason: 'WRONG_PARAM' });
    expect((await faultOf('profile', 'not json')).code).toBe('_101');
  });

  it('answers 102 MISSING_PARAM when the request or a mandatory part is missing', async () => {
    expect((await faultOf('sign', {})).reason).toBe('MISSING_PARAM');
    const body = signBody({ msisdn: '41700092501' });
    delete (body.MSS_SignatureReq as Partial<typeof body.MSS_SignatureReq>).DataToBeSigned;
    expect((await faultOf('sign', body)).reason).toBe('MISSING_PARAM');
    expect((await faultOf('sign', signBody({ msisdn: '41700092501', userLang: null }))).reason).toBe('MISSING_PARAM');
  });

  it('answers 108 INCOMPATIBLE_INTERFACE to wrong versions', async () => {
    const body = signBody({ msisdn: '41700092501' });
    body.MSS_SignatureReq.MajorVersion = '2';
    expect((await faultOf('sign', body)).reason).toBe('INCOMPATIBLE_INTERFACE');
  });

  it('answers the health check (+41000000000) with 101 "Illegal msisdn"', async () => {
    const fault = await faultOf('sign', signBody({ msisdn: '+41000000000', dtbd: 'ServiceCore: Heartbeat', mode: 'synch' }));
    expect(fault).toEqual({ code: '_101', reason: 'WRONG_PARAM', detail: 'Illegal msisdn', value: 'Sender' });
    expect((await faultOf('sign', signBody({ msisdn: '079 123 45 67' }))).detail).toBe('Illegal msisdn');
  });

  it('answers 103 WRONG_DATA_LENGTH beyond 239 GSM characters, or 119 with other characters', async () => {
    const prefix = 'ServiceCore: ';
    const gsmOk = prefix + 'a'.repeat(239 - prefix.length);
    expect((await postJson(api('sign'), signBody({ msisdn: '41700092501', dtbd: gsmOk }))).status).toBe(200);
    expect((await faultOf('sign', signBody({ msisdn: '41700092501', dtbd: `${gsmOk}a` }))).reason).toBe('WRONG_DATA_LENGTH');
    const cedilla = prefix + 'ç'.repeat(120 - prefix.length);
    expect((await faultOf('sign', signBody({ msisdn: '41700092501', dtbd: cedilla }))).reason).toBe('WRONG_DATA_LENGTH');
    expect((await postJson(api('sign'), signBody({ msisdn: '41700092501', dtbd: cedilla.slice(0, -1) }))).status).toBe(200);
  });

  it('answers 107 INAPPROPRIATE_DATA when the DTBD lacks the AP prefix', async () => {
    const fault = await faultOf('sign', signBody({ msisdn: '41700092501', dtbd: 'Login?' }));
    expect(fault).toMatchObject({ code: '_107', reason: 'INAPPROPRIATE_DATA', detail: 'DTBD matching failed' });
  });

  it('refuses a repeated AP_ID / AP_TransID / Instant triplet with 101', async () => {
    const ap = apInfo();
    expect((await postJson(api('sign'), signBody({ msisdn: '41700092501', ap }))).status).toBe(200);
    const repeated = await faultOf('sign', signBody({ msisdn: '41700092501', ap }));
    expect(repeated).toMatchObject({ code: '_101', reason: 'WRONG_PARAM' });
  });

  it('refuses an Instant far from the MSSP clock and an AP_TransID that is not an NCName', async () => {
    const old = new Date(Date.now() - 3_600_000).toISOString();
    expect((await faultOf('sign', signBody({ msisdn: '41700092501', ap: apInfo({ Instant: old }) }))).code).toBe('_101');
    expect((await faultOf('sign', signBody({ msisdn: '41700092501', ap: apInfo({ AP_TransID: '1:bad' }) }))).code).toBe('_101');
  });

  it('answers 109 UNSUPPORTED_PROFILE to an unknown signature profile', async () => {
    const fault = await faultOf('sign', signBody({ msisdn: '41700092501', profile: 'http://mid.swisscom.ch/MID/v1/OtpProfileText' }));
    expect(fault.reason).toBe('UNSUPPORTED_PROFILE');
  });

  it('refuses App2App in synchronous mode (101) and an unknown UserLang (101)', async () => {
    const app2app = { Description: 'http://mid.swisscom.ch/as#app2app', App2App: { RedirectUri: 'myapp://x' } };
    const sync = await faultOf('sign', signBody({ msisdn: '41700092501', mode: 'synch', profile: PROFILES.app, extraServices: [app2app] }));
    expect(sync.code).toBe('_101');
    expect((await faultOf('sign', signBody({ msisdn: '41700092501', userLang: 'RM' }))).code).toBe('_101');
  });

  it('answers 101 to a status query for an unknown MSSP_TransID', async () => {
    expect((await faultOf('status', statusBody('HEnope00'))).code).toBe('_101');
  });

  it('accepts only POST on the REST paths', async () => {
    const res = await fetch(api('sign'));
    expect(res.status).toBe(405);
  });
});
