import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startMobileIdSimulator, type StartedMobileIdSimulator } from '../../../src/simulators/mobileid/index.js';
import {
  getJson,
  postJson,
  readVector,
  receiptBody,
  signBody,
  sleep,
  statusBody,
} from './mobileid-helpers.js';

async function form(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

function noticeOf(res: Response): string {
  return new URL(res.headers.get('location') ?? '/', 'http://x').searchParams.get('notice') ?? '';
}

function tokenOf(html: string): string {
  const match = /name="token" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no form token on the page');
  return match[1];
}

describe('Mobile ID virtual phone', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mid-phone-'));
  let sim: StartedMobileIdSimulator;
  const api = (op: string) => `${sim.url}/rest/service/${op}`;
  const phoneApi = (p: string) => `${sim.url}/phone/api/${p}`;

  beforeAll(async () => {
    sim = await startMobileIdSimulator({
      dataDir,
      basePath: '/simulators/mobileid',
      pendingTimeoutMs: { sim: 600, app: 300 },
    });
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves everything under the base path and exports the root CA', async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/simulators\/mobileid$/);
    const res = await fetch(`${sim.url}/root-ca.pem`);
    const pem = await res.text();
    expect(pem).toBe(sim.simulator.rootCaPem);
    expect(readFileSync(path.join(dataDir, 'simulators', 'mobileid', 'root-ca.pem'), 'utf8')).toBe(pem);
    expect((await postJson(api('sign'), signBody({ msisdn: '41700092501', mode: 'synch' }))).status).toBe(200);
  });

  it('lists pending requests on a self-contained HTML page, DTBD escaped', async () => {
    const msisdn = '41792220001';
    await postJson(api('sign'), signBody({ msisdn, dtbd: 'ServiceCore <b>&</b> "login"?', geofencing: true }));
    const res = await fetch(`${sim.url}/phone?msisdn=%2B${msisdn}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain('ServiceCore &lt;b&gt;&amp;&lt;/b&gt; &quot;login&quot;?');
    expect(html).not.toContain('<b>&</b>');
    expect(html).not.toMatch(/<script|<link|<img|src=/i);
    expect(html).not.toMatch(/(href|action)="https?:/i);
    expect(html).toContain('name="country"');
    expect(html).toContain('name="geofencingErrorCode"');
    expect(html).toContain(`action="/simulators/mobileid/phone/approve"`);
    expect(html).toMatch(/serial <code>MIDCHE[A-Z0-9]{10}<\/code>/);
  });

  it('approves through the page form (with the form token) and the status turns to 500', async () => {
    const msisdn = '41792220002';
    const sign = await postJson(api('sign'), signBody({ msisdn, geofencing: true }));
    const transId = sign.json.MSS_SignatureResp.MSSP_TransID;
    const token = tokenOf(await (await fetch(`${sim.url}/phone`)).text());

    const forged = await form(`${sim.url}/phone/approve`, { token: 'forged', transId });
    expect(forged.status).toBe(303);
    expect(noticeOf(forged)).toContain('The form expired');
    expect((await postJson(api('status'), statusBody(transId))).json.MSS_StatusResp.Status.StatusCode.Value).toBe('504');

    const res = await form(`${sim.url}/phone/approve`, {
      token,
      transId,
      back: msisdn,
      country: 'IT',
      accuracy: '30',
      locationConfidence: '0.8',
      deviceConfidence: '0.95',
      geofencingErrorCode: '',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/simulators\/mobileid\/phone\?msisdn=41792220002&notice=/);
    const status = await postJson(api('status'), statusBody(transId));
    expect(status.json.MSS_StatusResp.ServiceResponses[0].Geofencing).toMatchObject({
      Country: 'IT',
      Accuracy: '30',
      LocationConfidence: '0.8',
      DeviceConfidence: '0.95',
    });
  });

  it('re-activates a number through the page (new serial, chosen key type)', async () => {
    const msisdn = '41792220003';
    const before = (await getJson(phoneApi(`account?msisdn=${msisdn}`))).json;
    const token = tokenOf(await (await fetch(`${sim.url}/phone?msisdn=${msisdn}`)).text());
    const res = await form(`${sim.url}/phone/reactivate`, { token, msisdn, algorithm: 'RSA' });
    expect(noticeOf(res)).toContain('new serial');
    const after = (await getJson(phoneApi(`account?msisdn=${msisdn}`))).json;
    expect(after.serial).not.toBe(before.serial);
    expect(after.algorithm).toBe('RSA');
    const stored = JSON.parse(readFileSync(path.join(dataDir, 'simulators', 'mobileid', 'accounts.json'), 'utf8'));
    expect(stored.accounts.find((a: { msisdn: string }) => a.msisdn === msisdn).serial).toBe(after.serial);
  });

  it('waits for the person to answer a receipt that asks for the user response (SIM)', async () => {
    const msisdn = '41792220004';
    const sign = await postJson(api('sign'), signBody({ msisdn }));
    const transId = sign.json.MSS_SignatureResp.MSSP_TransID;
    await postJson(phoneApi('approve'), { transId });

    const receipt = postJson(api('receipt'), receiptBody(transId, msisdn, { userAck: true, message: 'You are logged in.' }));
    let pending: Array<{ kind: string; message: string }> = [];
    for (let i = 0; i < 50 && pending.length === 0; i++) {
      await sleep(10);
      pending = (await getJson(phoneApi(`pending?msisdn=${msisdn}`))).json.pending;
    }
    expect(pending).toEqual([expect.objectContaining({ kind: 'receipt', message: 'You are logged in.' })]);
    await postJson(phoneApi('approve'), { msisdn });
    const reply = await receipt;
    const recorded = readVector('rest-responses/receipt-sync-userresponse-OK.json').MSS_ReceiptResp.Status;
    expect(reply.json.MSS_ReceiptResp.Status).toEqual(recorded);

    const again = await postJson(api('receipt'), receiptBody(transId, msisdn));
    expect(again.status).toBe(500);
    expect(again.json.Fault.Reason).toBe('WRONG_PARAM');
  });

  it('shows a plain receipt as a message and answers 100 at once', async () => {
    const msisdn = '41792220005';
    const sign = await postJson(api('sign'), signBody({ msisdn }));
    const transId = sign.json.MSS_SignatureResp.MSSP_TransID;
    await postJson(phoneApi('approve'), { msisdn });
    const reply = await postJson(api('receipt'), receiptBody(transId, msisdn, { message: 'Thanks!' }));
    expect(reply.json.MSS_ReceiptResp.Status).toEqual({ StatusCode: { Value: '100' }, StatusMessage: 'REQUEST_OK' });
    expect((await getJson(phoneApi(`messages?msisdn=${msisdn}`))).json.messages[0].message).toBe('Thanks!');
  });

  it('ends a synchronous request with 208 after the (shortened) timeout', async () => {
    const started = Date.now();
    const reply = await postJson(api('sign'), signBody({ msisdn: '41792220006', mode: 'synch' }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(reply.status).toBe(500);
    expect(reply.json.Fault.Reason).toBe('EXPIRED_TRANSACTION');
  });

  it('uses the App timeout for App requests', async () => {
    const msisdn = '41792220007';
    const sign = await postJson(api('sign'), signBody({ msisdn, profile: 'http://mid.swisscom.ch/Device-LoA4' }));
    await sleep(400);
    const status = await postJson(api('status'), statusBody(sign.json.MSS_SignatureResp.MSSP_TransID));
    expect(status.json.Fault.Reason).toBe('EXPIRED_TRANSACTION');
  });

  it('answers JSON API mistakes with a clear error', async () => {
    const notJson = await fetch(phoneApi('approve'), { method: 'POST', body: 'transId=x' });
    expect(notJson.status).toBe(415);
    const unknown = await postJson(phoneApi('approve'), { transId: 'HEnothing' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/No pending request/);
    const badCountry = await postJson(api('sign'), signBody({ msisdn: '41792220008', geofencing: true }));
    const bad = await postJson(phoneApi('approve'), { transId: badCountry.json.MSS_SignatureResp.MSSP_TransID, country: 'Switzerland' });
    expect(bad.status).toBe(400);
    expect((await postJson(phoneApi('reactivate'), { msisdn: 'abc' })).status).toBe(400);
  });
});
