import { X509Certificate } from 'node:crypto';

import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startMobileIdSimulator, type StartedMobileIdSimulator } from '../../../src/simulators/mobileid/index.js';
import {
  AP_ID,
  AP_PWD,
  apInfo,
  getJson,
  opensslVerify,
  postJson,
  PROFILES,
  readVector,
  signBody,
  sleep,
  statusBody,
} from './mobileid-helpers.js';

/** The signer certificate (first embedded certificate) of a CMS, via PKI.js. */
function signerCertificate(base64: string): X509Certificate {
  const signed = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(Buffer.from(base64, 'base64')).content });
  const first = signed.certificates?.[0];
  if (!(first instanceof pkijs.Certificate)) throw new Error('no signer certificate');
  return new X509Certificate(Buffer.from(first.toSchema().toBER()));
}

describe('Mobile ID simulator REST API: signatures', () => {
  let sim: StartedMobileIdSimulator;
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);
  const api = (op: string) => `${sim.url}/rest/service/${op}`;
  const phone = (path: string) => `${sim.url}/phone/api/${path}`;
  const at = () => apInfo({ Instant: clock().toISOString() });

  beforeAll(async () => {
    sim = await startMobileIdSimulator({ apId: AP_ID, apPassword: AP_PWD, now: clock });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('signs at once for 41700092501 (EC), synchronously, with geofencing like the recording', async () => {
    const dtbd = 'ServiceCore: Login bestätigen? (TXN-1)';
    const r = await postJson(api('sign'), signBody({ msisdn: '41700092501', dtbd, mode: 'synch', geofencing: true }));
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^application\/json/);
    const resp = r.json.MSS_SignatureResp;
    expect(resp.Status).toEqual({ StatusCode: { Value: '500' }, StatusMessage: 'SIGNATURE' });
    expect(resp.SignatureProfile).toBe(PROFILES.sim);
    expect(resp.MobileUser).toEqual({ MSISDN: '41700092501' });
    expect(resp.MSSP_TransID).toMatch(/^HE[A-Za-z0-9]{6}$/);
    expect(resp.AP_Info.AP_ID).toBe(AP_ID);
    expect(resp.MSS_Signature.Base64Signature.startsWith('MIAGCSqGSIb3DQEHAqCA')).toBe(true);

    const verified = opensslVerify(Buffer.from(resp.MSS_Signature.Base64Signature, 'base64'), sim.simulator.rootCaPem);
    expect(verified.ok).toBe(true);
    expect(verified.content).toBe(dtbd);

    const [service] = resp.ServiceResponses;
    expect(service.Description).toBe('http://mid.swisscom.ch/as#geofencing');
    expect(service.Geofencing).toMatchObject({ Accuracy: '105', Country: 'CH', DeviceConfidence: '0.9', LocationConfidence: '0.9' });
    expect(service.Geofencing.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0[12]:00$/);
  });

  it('signs at once for 41700092502 (RSA); asynchronously the signature comes with the first status', async () => {
    const sign = await postJson(api('sign'), signBody({ msisdn: '+41700092502', dtbd: 'RSA login?' }));
    expect(sign.status).toBe(200);
    expect(sign.json.MSS_SignatureResp.Status).toEqual({ StatusCode: { Value: '100' }, StatusMessage: 'REQUEST_OK' });
    expect(sign.json.MSS_SignatureResp.MobileUser.MSISDN).toBe('+41700092502');

    const status = await postJson(api('status'), statusBody(sign.json.MSS_SignatureResp.MSSP_TransID, at()));
    expect(status.status).toBe(200);
    const resp = status.json.MSS_StatusResp;
    expect(resp.Status.StatusCode.Value).toBe('500');
    expect(resp.SignatureProfile).toBeUndefined();
    expect(resp.ServiceResponses).toBeUndefined();
    const der = Buffer.from(resp.MSS_Signature.Base64Signature, 'base64');
    expect(opensslVerify(der, sim.simulator.rootCaPem).content).toBe('RSA login?');
    expect(signerCertificate(resp.MSS_Signature.Base64Signature).publicKey.asymmetricKeyType).toBe('rsa');
  });

  const faultTable = readVector('status-fault-codes.json').fault_test_msisdns as Array<{
    msisdn: string;
    subcode: string;
    reason: string;
  }>;

  it.each(faultTable)('answers the documented fault for +$msisdn ($reason)', async ({ msisdn, subcode, reason }) => {
    const r = await postJson(api('sign'), signBody({ msisdn: `+${msisdn}`, mode: 'synch' }));
    expect(r.status).toBe(500);
    expect(r.json.Fault.Code.SubCode).toEqual({ Value: `_${subcode}`, ValueNs: 'http://uri.etsi.org/TS102204/v1.1.2#' });
    expect(r.json.Fault.Code.Value).toBe(subcode.startsWith('1') ? 'Sender' : 'Receiver');
    expect(r.json.Fault.Code.ValueNs).toBe('http://www.w3.org/2003/05/soap-envelope');
    expect(r.json.Fault.Reason).toBe(reason);
    expect(typeof r.json.Fault.Detail).toBe('string');
  });

  it('delivers user-side test faults (401) through the status query in asynchronous mode', async () => {
    const sign = await postJson(api('sign'), signBody({ msisdn: '41000092401' }));
    expect(sign.json.MSS_SignatureResp.Status.StatusCode.Value).toBe('100');
    const status = await postJson(api('status'), statusBody(sign.json.MSS_SignatureResp.MSSP_TransID, at()));
    expect(status.status).toBe(500);
    expect(status.json.Fault.Reason).toBe('USER_CANCEL');
  });

  it('keeps other numbers pending (504) until the person approves on the phone; then 500 with geofencing', async () => {
    const msisdn = '41791110001';
    const dtbd = 'ServiceCore: Log in to Example Shop? (TXN-77)';
    const sign = await postJson(api('sign'), signBody({ msisdn, dtbd, geofencing: true, userLang: 'DE', ap: at() }));
    const transId = sign.json.MSS_SignatureResp.MSSP_TransID;

    const outstanding = await postJson(api('status'), statusBody(transId, at()));
    expect(outstanding.status).toBe(200);
    expect(outstanding.json.MSS_StatusResp.Status).toEqual({
      StatusCode: { Value: '504' },
      StatusMessage: 'OUTSTANDING_TRANSACTION',
    });
    expect(outstanding.json.MSS_StatusResp.MobileUser.MSISDN).toBe(msisdn);

    const pending = await getJson(phone(`pending?msisdn=${msisdn}`));
    expect(pending.json.pending).toEqual([
      expect.objectContaining({ kind: 'signature', transId, msisdn, dtbd, method: 'SIM', userLang: 'DE', geofencing: true }),
    ]);

    const approve = await postJson(phone('approve'), {
      transId,
      country: 'de',
      accuracy: 12,
      locationConfidence: 0.75,
      deviceConfidence: 1,
    });
    expect(approve.status).toBe(200);

    const signed = await postJson(api('status'), statusBody(transId, at()));
    const resp = signed.json.MSS_StatusResp;
    expect(resp.Status.StatusCode.Value).toBe('500');
    expect(resp.ServiceResponses[0].Geofencing).toMatchObject({
      Accuracy: '12',
      Country: 'DE',
      DeviceConfidence: '1.0',
      LocationConfidence: '0.75',
    });
    const verified = opensslVerify(Buffer.from(resp.MSS_Signature.Base64Signature, 'base64'), sim.simulator.rootCaPem);
    expect(verified.content).toBe(dtbd);
    expect((await getJson(phone(`pending?msisdn=${msisdn}`))).json.pending).toEqual([]);
  });

  it('reports a geofencing error when the phone has location off', async () => {
    const msisdn = '41791110002';
    const sign = await postJson(api('sign'), signBody({ msisdn, geofencing: true, ap: at() }));
    const transId = sign.json.MSS_SignatureResp.MSSP_TransID;
    await postJson(phone('approve'), { msisdn, locationOff: true });
    const status = await postJson(api('status'), statusBody(transId, at()));
    expect(status.json.MSS_StatusResp.Status.StatusCode.Value).toBe('500');
    expect(status.json.MSS_StatusResp.ServiceResponses).toEqual([
      {
        Description: 'http://mid.swisscom.ch/as#geofencing',
        Geofencing: { ErrorCode: '105', ErrorMessage: expect.any(String) },
      },
    ]);
  });

  it('answers 401 USER_CANCEL after the person cancels', async () => {
    const msisdn = '41791110003';
    const sign = await postJson(api('sign'), signBody({ msisdn, ap: at() }));
    const cancel = await postJson(phone('cancel'), { msisdn });
    expect(cancel.status).toBe(200);
    const status = await postJson(api('status'), statusBody(sign.json.MSS_SignatureResp.MSSP_TransID, at()));
    expect(status.status).toBe(500);
    expect(status.json.Fault).toMatchObject({ Reason: 'USER_CANCEL', Code: { Value: 'Receiver', SubCode: { Value: '_401' } } });
  });

  it('answers 208 EXPIRED_TRANSACTION once the SIM timeout (80 s) has passed', async () => {
    const msisdn = '41791110004';
    const sign = await postJson(api('sign'), signBody({ msisdn, ap: at() }));
    const transId = sign.json.MSS_SignatureResp.MSSP_TransID;
    offsetMs += 79_000;
    expect((await postJson(api('status'), statusBody(transId, at()))).json.MSS_StatusResp.Status.StatusCode.Value).toBe('504');
    offsetMs += 2_000;
    const expired = await postJson(api('status'), statusBody(transId, at()));
    expect(expired.status).toBe(500);
    expect(expired.json.Fault).toMatchObject({ Reason: 'EXPIRED_TRANSACTION', Code: { Value: 'Receiver' } });
    expect((await postJson(phone('approve'), { transId })).status).toBe(404);
  });

  it('waits in synchronous mode until the person approves', async () => {
    const msisdn = '41791110005';
    const pendingSign = postJson(api('sign'), signBody({ msisdn, mode: 'synch', dtbd: 'Sync login?', ap: at() }));
    let item: { transId: string } | undefined;
    for (let i = 0; i < 50 && !item; i++) {
      await sleep(20);
      [item] = (await getJson(phone(`pending?msisdn=${msisdn}`))).json.pending;
    }
    expect(item).toBeDefined();
    await postJson(phone('approve'), { transId: item?.transId });
    const r = await pendingSign;
    expect(r.status).toBe(200);
    expect(r.json.MSS_SignatureResp.Status.StatusCode.Value).toBe('500');
    expect(r.json.MSS_SignatureResp.MSSP_TransID).toBe(item?.transId);
  });

  it('refuses a second SIM request for the same number while one is pending (406)', async () => {
    const msisdn = '41791110006';
    const first = await postJson(api('sign'), signBody({ msisdn, profile: PROFILES.sim, ap: at() }));
    expect(first.status).toBe(200);
    const second = await postJson(api('sign'), signBody({ msisdn, profile: PROFILES.sim, ap: at() }));
    expect(second.status).toBe(500);
    expect(second.json.Fault.Reason).toBe('PB_SIGNATURE_PROCESS');
    await postJson(phone('cancel'), { msisdn });
  });

  it('cancels the first App request (401) when a second one arrives', async () => {
    const msisdn = '41791110007';
    const first = await postJson(api('sign'), signBody({ msisdn, profile: PROFILES.app, ap: at() }));
    expect(first.json.MSS_SignatureResp.SignatureProfile).toBe(PROFILES.app);
    const second = await postJson(api('sign'), signBody({ msisdn, profile: PROFILES.app, ap: at() }));
    expect(second.status).toBe(200);
    const firstStatus = await postJson(api('status'), statusBody(first.json.MSS_SignatureResp.MSSP_TransID, at()));
    expect(firstStatus.json.Fault.Reason).toBe('USER_CANCEL');
    const pending = (await getJson(phone(`pending?msisdn=${msisdn}`))).json.pending;
    expect(pending).toEqual([expect.objectContaining({ transId: second.json.MSS_SignatureResp.MSSP_TransID, method: 'App' })]);
  });

  it('returns the profile actually used: Any-LoA4 → STK-LoA4, or Device-LoA4 for an App-only user', async () => {
    const msisdn = '41791110008';
    const sim = await postJson(api('sign'), signBody({ msisdn, profile: PROFILES.any, ap: at() }));
    expect(sim.json.MSS_SignatureResp.SignatureProfile).toBe(PROFILES.sim);
    await postJson(phone('cancel'), { msisdn });

    await postJson(phone('methods'), { msisdn, sim: false, app: true });
    const app = await postJson(api('sign'), signBody({ msisdn, profile: PROFILES.any, ap: at() }));
    expect(app.json.MSS_SignatureResp.SignatureProfile).toBe(PROFILES.app);
    const stk = await postJson(api('sign'), signBody({ msisdn, profile: PROFILES.sim, ap: at() }));
    expect(stk.json.Fault.Reason).toBe('UNSUPPORTED_PROFILE');
    await postJson(phone('cancel'), { msisdn });

    await postJson(phone('methods'), { msisdn, sim: false, app: false });
    const none = await postJson(api('sign'), signBody({ msisdn, ap: at() }));
    expect(none.json.Fault.Reason).toBe('UNKNOWN_CLIENT');
  });

  it('maps AuthProfile1 to STK-LoA4 and refuses Device-LoA4 for the SIM-only test number', async () => {
    const auth = await postJson(api('sign'), signBody({ msisdn: '41700092501', profile: PROFILES.authProfile1, ap: at() }));
    expect(auth.json.MSS_SignatureResp.SignatureProfile).toBe(PROFILES.sim);
    const device = await postJson(api('sign'), signBody({ msisdn: '41700092501', profile: PROFILES.app, ap: at() }));
    expect(device.json.Fault.Reason).toBe('UNSUPPORTED_PROFILE');
  });

  it('signs with a new serial after the number is re-activated', async () => {
    const msisdn = '41791110009';
    const serialOf = async () => {
      const sign = await postJson(api('sign'), signBody({ msisdn, ap: at() }));
      await postJson(phone('approve'), { msisdn });
      const status = await postJson(api('status'), statusBody(sign.json.MSS_SignatureResp.MSSP_TransID, at()));
      return signerCertificate(status.json.MSS_StatusResp.MSS_Signature.Base64Signature).subject;
    };
    const before = await serialOf();
    const reactivated = await postJson(phone('reactivate'), { msisdn });
    expect(reactivated.status).toBe(200);
    const after = await serialOf();
    expect(after).not.toBe(before);
    expect(after).toBe(`serialNumber=${reactivated.json.serial}\nCN=${reactivated.json.serial}:PN`);
  });

  it('returns the App2App AuthUri for asynchronous App requests', async () => {
    const msisdn = '41791110010';
    const r = await postJson(
      api('sign'),
      signBody({
        msisdn,
        profile: PROFILES.app,
        ap: at(),
        extraServices: [{ Description: 'http://mid.swisscom.ch/as#app2app', App2App: { RedirectUri: 'myapp://example' } }],
      }),
    );
    const [service] = r.json.MSS_SignatureResp.ServiceResponses;
    expect(service.Description).toBe('http://mid.swisscom.ch/as#app2app');
    expect(service.App2App.AuthUri).toMatch(/^mobileid:\/\/auth\?mobile_auth_redirect_uri=myapp%3A%2F%2Fexample&session_token=/);
    await postJson(phone('cancel'), { msisdn });
  });
});
