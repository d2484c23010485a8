/**
 * Drift check against the real recorded traffic: every response of the simulator must have the
 * same key names, nesting and key order as the recording, and the HTTP status `_index.json` lists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startMobileIdSimulator, type StartedMobileIdSimulator } from '../../../src/simulators/mobileid/index.js';
import {
  AP_ID,
  postJson,
  profileBody,
  readVector,
  receiptBody,
  shapeOf,
  signBody,
  statusBody,
  type JsonReply,
} from './mobileid-helpers.js';

interface IndexEntry {
  file: string;
  http_status: number;
}

describe('Mobile ID simulator envelopes match the recorded responses', () => {
  let sim: StartedMobileIdSimulator;
  const api = (op: string) => `${sim.url}/rest/service/${op}`;

  beforeAll(async () => {
    sim = await startMobileIdSimulator({ apId: AP_ID });
  });
  afterAll(async () => {
    await sim.close();
  });

  /** How to make the simulator produce the counterpart of each recorded response. */
  const producers: Record<string, () => Promise<JsonReply>> = {
    'sign-sync-500-SIGNATURE-ec-geofencing.json': () =>
      postJson(api('sign'), signBody({ msisdn: '41700092501', mode: 'synch', geofencing: true })),
    'sign-fault-105-UNKNOWN_CLIENT.json': () => postJson(api('sign'), signBody({ msisdn: '41000092105', mode: 'synch' })),
    'sign-fault-107-INAPPROPRIATE_DATA.json': () => postJson(api('sign'), signBody({ msisdn: '41000092107', mode: 'synch' })),
    'sign-fault-208-EXPIRED_TRANSACTION.json': () => postJson(api('sign'), signBody({ msisdn: '41000092208', mode: 'synch' })),
    'sign-async-100-REQUEST_OK.json': () => postJson(api('sign'), signBody({ msisdn: '41700092501', geofencing: true })),
    'status-500-SIGNATURE-ec-geofencing.json': async () => {
      const sign = await postJson(api('sign'), signBody({ msisdn: '41700092501', geofencing: true }));
      return postJson(api('status'), statusBody(sign.json.MSS_SignatureResp.MSSP_TransID));
    },
    'status-504-OUTSTANDING_TRANSACTION.json': async () => {
      const sign = await postJson(api('sign'), signBody({ msisdn: '41797895164', geofencing: true }));
      const status = await postJson(api('status'), statusBody(sign.json.MSS_SignatureResp.MSSP_TransID));
      await postJson(`${sim.url}/phone/api/cancel`, { msisdn: '41797895164' });
      return status;
    },
    'receipt-100-REQUEST_OK.json': async () => {
      const sign = await postJson(api('sign'), signBody({ msisdn: '41700092501', mode: 'synch' }));
      return postJson(api('receipt'), receiptBody(sign.json.MSS_SignatureResp.MSSP_TransID, '41700092501'));
    },
    'receipt-sync-userresponse-OK.json': async () => {
      const sign = await postJson(api('sign'), signBody({ msisdn: '41700092501', mode: 'synch' }));
      return postJson(api('receipt'), receiptBody(sign.json.MSS_SignatureResp.MSSP_TransID, '41700092501', { userAck: true }));
    },
    'profile-100-REQUEST_OK-ec-sim.json': () => postJson(api('profile'), profileBody('41700092501')),
    'profile-fault-105-UNKNOWN_CLIENT.json': () => postJson(api('profile'), profileBody('41000092105')),
  };

  const index = readVector('rest-responses/_index.json') as IndexEntry[];

  it('has a producer for every recorded response', () => {
    expect(Object.keys(producers).sort()).toEqual(index.map((e) => e.file.replace('rest-responses/', '')).sort());
  });

  it.each(index)('$file: same keys, nesting, key order and HTTP status', async ({ file, http_status }) => {
    const name = file.replace('rest-responses/', '');
    const recorded = readVector(file);
    const produce = producers[name];
    if (!produce) throw new Error(`no producer for ${name}`);
    const reply = await produce();
    expect(reply.status).toBe(http_status);
    expect(JSON.stringify(shapeOf(reply.json), null, 1)).toBe(JSON.stringify(shapeOf(recorded), null, 1));
    if (recorded.Fault) {
      expect(reply.json.Fault).toEqual(recorded.Fault);
    } else {
      const key = Object.keys(recorded)[0] as string;
      expect(reply.json[key].Status.StatusCode).toEqual(recorded[key].Status.StatusCode);
      expect(reply.json[key].Status.StatusMessage).toBe(recorded[key].Status.StatusMessage);
      expect(reply.json[key].MSSP_Info.MSSP_ID).toEqual(recorded[key].MSSP_Info.MSSP_ID);
      expect(reply.json[key].MajorVersion).toBe(recorded[key].MajorVersion);
      expect(reply.json[key].MinorVersion).toBe(recorded[key].MinorVersion);
    }
  });

  it('lists the profile the way the recording does (profiles, subject names, chain of three)', async () => {
    const recorded = readVector('rest-responses/profile-100-REQUEST_OK-ec-sim.json').MSS_ProfileResp;
    const reply = (await postJson(api('profile'), profileBody('41700092501'))).json.MSS_ProfileResp;
    expect(reply.SignatureProfile).toEqual(recorded.SignatureProfile);
    const sim = reply.Status.StatusDetail.ProfileQueryExtension.Sscds.Sim;
    const real = recorded.Status.StatusDetail.ProfileQueryExtension.Sscds.Sim;
    expect(sim.CardDetails).toEqual(real.CardDetails);
    expect(sim.State).toBe('ACTIVE');
    const [cert] = sim.MobileUserCertificate;
    expect(cert.Algorithm).toBe('EC');
    expect(cert.X509Certificate).toHaveLength(3);
    expect(cert.X509SubjectName[0]).toMatch(/^cn=midche[a-z0-9]{10}:pn,serialnumber=midche[a-z0-9]{10}$/);
    expect(cert.X509SubjectName[2]).toBe(
      'c=ch,o=servicecore login sandbox,ou=sandbox certificate services,cn=servicecore sandbox mobile id root ca',
    );
  });

  it('answers a profile query for the 401 test number with the section 6.2 example fault', async () => {
    const reply = await postJson(api('profile'), profileBody('+41000092401'));
    expect(reply.status).toBe(500);
    expect(reply.json).toEqual({
      Fault: {
        Code: {
          SubCode: { Value: '_401', ValueNs: 'http://uri.etsi.org/TS102204/v1.1.2#' },
          Value: 'Receiver',
          ValueNs: 'http://www.w3.org/2003/05/soap-envelope',
        },
        Detail: 'User cancelled the request',
        Reason: 'USER_CANCEL',
      },
    });
  });

  it('shows both methods of a SIM + App user in the profile', async () => {
    const reply = (await postJson(api('profile'), profileBody('41795550000'))).json.MSS_ProfileResp;
    expect(reply.SignatureProfile).toContain('http://mid.swisscom.ch/Device-LoA4');
    const sscds = reply.Status.StatusDetail.ProfileQueryExtension.Sscds;
    expect(sscds.App).toHaveLength(1);
    expect(sscds.App[0].State).toBe('ACTIVE');
    expect(sscds.Sim.State).toBe('ACTIVE');
    const minimal = (await postJson(api('profile'), profileBody('41795550000', ''))).json.MSS_ProfileResp;
    expect(minimal.Status.StatusDetail).toBeUndefined();
  });
});
