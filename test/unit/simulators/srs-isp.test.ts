/** The simulator's "Define Identity" form, its signed callback, and the verify call it answers. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { createRemoteJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CallbackVerifier, type ReplayStore } from '../../../src/verification/srs/index.js';
import { startSrsSimulator, token, type RunningSrsSimulator } from './srs-helpers.js';

let s: RunningSrsSimulator;
let receiver: http.Server;
let received: { type: string | undefined; body: string }[] = [];
let callbackUrl: string;

const replay: ReplayStore = { remember: async () => true };

beforeAll(async () => {
  s = await startSrsSimulator();
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ type: req.headers['content-type'], body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callbacks/srs`;
});
afterAll(async () => {
  receiver.closeAllConnections();
  receiver.close();
  await s.close();
});

async function startOne(mobile = '+41791112233', method = 'Video-ISP/video') {
  const t = await token(s);
  const res = await fetch(`${s.endpoints.url}/api/providers/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t}`, 'content-type': 'application/vnd.sc.miss.provider.v1+json' },
    body: JSON.stringify({ firstName: 'Richard', lastName: 'Smith', dob: '1970-01-02', mobile, nationality: 'GB', language: 'en', externalId: 'x', callbackUrl }),
  });
  const body = (await res.json()) as { refId: string; targetURL: string };
  return { ...body, token: t };
}

async function submit(target: string, form: Record<string, string>) {
  const page = await (await fetch(target)).text();
  const action = new URL(/<form class="card" method="post" action="([^"]+)"/.exec(page)![1]!, target);
  return fetch(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
}

const IDENTITY = { firstName: 'Richard', lastName: 'Smith', email: '', mobile: '+41791112233', dob: '1970-01-02', placeOfBirth: 'London', nationality: 'GB', idCardNumber: 'X1', validUntil: '2030-01-01' };

async function verify(body: Record<string, unknown>) {
  return fetch(`${s.endpoints.rasUrl}/api/evidences/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('SRS simulator: the partner', () => {
  it('shows the "Define Identity" form with the initial data and the statuses to pick', async () => {
    const { targetURL } = await startOne();
    const res = await fetch(targetURL);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const page = await res.text();
    expect(page).toContain('<h1>Define Identity</h1>');
    for (const label of ['FirstName', 'LastName', 'Email Address', 'Mobile phone number', 'Date of birth', 'Place of birth', 'Nationality', 'ID card number', 'Valid until', 'Status of identity?']) {
      expect(page).toContain(label);
    }
    expect(page).toContain('value="Richard"');
    expect(page).toContain('value="+41791112233"');
    for (const status of ['Waiting for Doc', 'Identification done', 'Data Ready', 'Identification cancelled by user', 'Identification cancelled by ISP', 'Identification unsuccessful']) {
      expect(page).toContain(`<option value="${status}"`);
    }
    expect((await fetch(`${s.origin}/srs/isp/unknown`)).status).toBe(404);
  });

  it('records "Data Ready", registers the evidence and calls back with a JWT the product accepts', async () => {
    received = [];
    const { targetURL, refId, token: t } = await startOne();
    const res = await submit(targetURL, { ...IDENTITY, status: 'Data Ready', termsAccepted: '1', callback: '1' });
    expect(await res.text()).toContain('Callback to the service provider: HTTP 200');
    expect(received).toHaveLength(1);
    expect(received[0]!.type).toBe('application/jwt');

    const verifier = new CallbackVerifier({ issuer: s.endpoints.callbackIssuer, audience: callbackUrl, keys: [createRemoteJWKSet(new URL(s.endpoints.callbackJwksUrl))], replay });
    const claims = await verifier.verify(received[0]!.body);
    expect(claims).toMatchObject({ refId, status: 'data_ready', identity: { givenNames: 'Richard', familyName: 'Smith', birthDate: '1970-01-02', nationality: 'GB' } });
    expect(claims.evidenceId).toMatch(/^RAS[0-9a-f]{24}$/);

    const status = (await (await fetch(`${s.endpoints.url}/api/identifications/${refId}`, { headers: { authorization: `Bearer ${t}` } })).json()) as { statuses: { status: string }[]; evidenceId: string; identificationData: unknown };
    expect(status.statuses.map((x) => x.status)).toEqual(['created', 'initialized', 'terminated', 'Data Ready']);
    expect(status.evidenceId).toBe(claims.evidenceId);
    expect(status.identificationData).toEqual({ firstName: 'Richard', lastName: 'Smith', dob: '1970-01-02', nationality: 'GB' });

    const ok = await verify({ msisdn: '41791112233', claimedIdentity: 'x', assuranceLevel: 4, distinguishedName: 'gn=Richard, sn=Smith, cn=Richard Smith, c=GB', jurisdiction: 'zertes' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ evidenceId: claims.evidenceId, vetterMsisdn: '41791112233', serialNumber: expect.stringMatching(/^SRS[0-9A-F]{12}$/) });
  });

  it('finds no evidence for another person, another number, a higher LoA or another jurisdiction', async () => {
    const { targetURL } = await startOne('+41791112244', 'KLARNA/aml-bank');
    await submit(targetURL, { ...IDENTITY, mobile: '+41791112244', status: 'Data Ready', termsAccepted: '1' });
    const base = { msisdn: '41791112244', claimedIdentity: 'x', assuranceLevel: 4, distinguishedName: 'gn=Richard, sn=Smith', jurisdiction: 'eidas' };
    expect((await verify(base)).status).toBe(200);
    expect((await verify({ ...base, distinguishedName: 'gn=Richard, sn=Smyth' })).status).toBe(404);
    expect((await verify({ ...base, msisdn: '41791112299' })).status).toBe(404);
    expect((await verify({ ...base, jurisdiction: 'zertes' })).status).toBe(404);
    const loa3 = await startOne('+41791112255', 'Test-ISP/video');
    await submit(loa3.targetURL, { ...IDENTITY, mobile: '+41791112255', status: 'Data Ready', termsAccepted: '1' });
    expect((await verify({ ...base, msisdn: '41791112255', jurisdiction: 'zertes' })).status).toBe(404);
    expect((await verify({ ...base, msisdn: '41791112255', jurisdiction: 'zertes', assuranceLevel: 3 })).status).toBe(200);
  });

  it('keeps the evidence back until the terms of use are accepted', async () => {
    const { targetURL } = await startOne('+41791112266');
    const page = await (await submit(targetURL, { ...IDENTITY, mobile: '+41791112266', status: 'Data Ready' })).text();
    expect(page).toContain('No callback sent');
    expect(page).toContain('Accept the terms of use');
    const body = { msisdn: '41791112266', claimedIdentity: 'x', assuranceLevel: 3, distinguishedName: 'gn=Richard, sn=Smith' };
    expect((await verify(body)).status).toBe(404);
    await fetch(`${targetURL}/terms`, { method: 'POST' });
    expect((await verify(body)).status).toBe(200);
  });

  it('records cancellations with the documented status names, without identity data', async () => {
    received = [];
    const { targetURL, refId, token: t } = await startOne('+41791112277');
    await submit(targetURL, { ...IDENTITY, status: 'Identification cancelled by user', callback: '1' });
    const status = (await (await fetch(`${s.endpoints.url}/api/identifications/${refId}`, { headers: { authorization: `Bearer ${t}` } })).json()) as { statuses: { status: string }[]; identificationData?: unknown };
    expect(status.statuses.map((x) => x.status).slice(-2)).toEqual(['terminated', 'Identification cancelled by user']);
    expect(status.identificationData).toBeUndefined();
    const payload = JSON.parse(Buffer.from(received[0]!.body.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(payload.status).toBe('Identification cancelled by user');
    expect(payload.identificationData).toBeUndefined();
  });
});
