/**
 * The Freja eID simulator speaks the relying-party API as documented: Base64 JSON parameters,
 * `{code, message}` errors, statuses moved by the sandbox app, results signed with its own
 * certificate (RS256, x5t) that the product verifies; and it offers outages on demand. The
 * product's own client is used against it, over HTTP.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createFrejaSimulator, startFrejaSimulator, type StartedFrejaSimulator } from '../../../src/simulators/freja/index.js';
import { FrejaClient, FrejaError, FrejaTrust, interpretApprovedResult, parseFrejaPolicy, verifyFrejaJws } from '../../../src/verification/freja/index.js';
import { freePort } from '../../helpers/server.js';

let sim: StartedFrejaSimulator;
let client: FrejaClient;
let clock = Date.now();
const INIT = { userInfoType: 'INFERRED' as const, userInfo: '', minRegistrationLevel: 'EXTENDED' as const, attributesToReturn: ['BASIC_USER_INFO', 'DATE_OF_BIRTH', 'SSN', 'REGISTRATION_LEVEL'] as const };

beforeAll(async () => {
  sim = await startFrejaSimulator({ now: () => new Date(clock) });
  client = new FrejaClient({ baseUrl: sim.url, timeoutMs: 500 });
});
afterAll(async () => {
  await client.close();
  await sim.close();
});

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

async function raw(method: string, body: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sim.url}/authentication/1.0/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

async function control(p: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${sim.url}/app/api/${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const init = () => client.initAuthentication({ ...INIT, attributesToReturn: [...INIT.attributesToReturn] });

describe('the Freja eID simulator API', () => {
  it('runs an authentication: STARTED → DELIVERED_TO_MOBILE → APPROVED with a result the product verifies', async () => {
    const { authRef } = await init();
    expect(await client.getOneResult(authRef)).toEqual({ authRef, status: 'STARTED', details: undefined });
    const page = await fetch(`${sim.url}/app?transactionReference=${encodeURIComponent(authRef)}`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('A service asks you to identify yourself');
    expect((await client.getOneResult(authRef)).status).toBe('DELIVERED_TO_MOBILE');

    const approve = await control('approve', { authRef, givenNames: 'Lena', surname: 'Keller', dateOfBirth: '1990-02-03', registrationLevel: 'PLUS', ssnCountry: 'se', ssn: '199002031234' });
    expect(approve.status).toBe(200);
    const result = await client.getOneResult(authRef);
    expect(result.status).toBe('APPROVED');
    const header = JSON.parse(Buffer.from(result.details!.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
    expect(Object.keys(header)).toEqual(['x5t', 'alg']);
    expect(header).toEqual({ x5t: sim.simulator.x5t, alg: 'RS256' });

    const trust = FrejaTrust.fromPem([sim.simulator.signingCertPem], [sim.simulator.signingCertPem, sim.simulator.rootCaPem]);
    const verified = await verifyFrejaJws(result.details!, trust, { now: new Date(clock) });
    expect(verified.payload).toMatchObject({
      status: 'APPROVED',
      userInfoType: 'INFERRED',
      userInfo: 'N/A',
      minRegistrationLevel: 'EXTENDED',
      authRef,
      requestedAttributes: { basicUserInfo: { name: 'Lena', surname: 'Keller' }, dateOfBirth: '1990-02-03', registrationLevel: 'PLUS', ssn: { ssn: '199002031234', country: 'SE' } },
    });
    const policy = parseFrejaPolicy({ acceptedRegistrationLevels: ['EXTENDED', 'PLUS'], attributesToReturn: ['BASIC_USER_INFO', 'DATE_OF_BIRTH'] });
    const outcome = interpretApprovedResult(verified.payload, { authRef, minRegistrationLevel: 'EXTENDED', requestedAt: new Date(clock - 1000), now: new Date(clock) }, policy);
    expect(outcome).toMatchObject({ ok: true, identity: { givenNames: 'Lena', familyName: 'Keller', birthDate: '1990-02-03', registrationLevel: 'PLUS' } });
  });

  it('does not let a registration below the requested minimum confirm', async () => {
    const { authRef } = await init();
    const res = await control('approve', { authRef, registrationLevel: 'BASIC' });
    expect(res.status).toBe(409);
    expect((await client.getOneResult(authRef)).status).toBe('STARTED');
  });

  it('ends with CANCELED (declined), REJECTED, RP_CANCELED and, after two minutes, EXPIRED', async () => {
    const a = await init();
    await control('decline', { authRef: a.authRef });
    expect((await client.getOneResult(a.authRef)).status).toBe('CANCELED');
    const b = await init();
    await control('reject', { authRef: b.authRef });
    expect((await client.getOneResult(b.authRef)).status).toBe('REJECTED');
    const c = await init();
    await client.cancel(c.authRef);
    expect((await client.getOneResult(c.authRef)).status).toBe('RP_CANCELED');
    await expect(client.cancel(c.authRef)).rejects.toMatchObject({ code: 'api_error', providerCode: 1100 });
    const d = await init();
    clock += 121_000;
    expect((await client.getOneResult(d.authRef)).status).toBe('EXPIRED');
  });

  it('answers invalid requests with the documented codes', async () => {
    const initWith = (req: Record<string, unknown>) => raw('initAuthentication', `initAuthRequest=${b64(req)}`);
    expect(await raw('initAuthentication', 'garbage')).toEqual({ status: 400, json: { code: 1010, message: 'JSON request cannot be parsed.' } });
    expect((await initWith({ userInfoType: 'FAX', userInfo: 'x', minRegistrationLevel: 'BASIC' })).json).toMatchObject({ code: 1001 });
    expect((await initWith({ userInfoType: 'INFERRED', userInfo: 'someone', minRegistrationLevel: 'BASIC' })).json).toMatchObject({ code: 1002 });
    expect((await initWith({ userInfoType: 'EMAIL', userInfo: 'not-an-address', minRegistrationLevel: 'BASIC' })).json).toMatchObject({ code: 1002 });
    expect((await initWith({ userInfoType: 'INFERRED', userInfo: 'N/A', minRegistrationLevel: 'GOLD' })).json).toMatchObject({ code: 1007 });
    expect((await initWith({ userInfoType: 'INFERRED', userInfo: 'N/A', minRegistrationLevel: 'PLUS', attributesToReturn: [{ attribute: 'SHOE_SIZE' }] })).json).toMatchObject({ code: 2002 });
    expect((await initWith({ userInfoType: 'INFERRED', userInfo: 'N/A', minRegistrationLevel: 'BASIC', attributesToReturn: [{ attribute: 'SSN' }] })).json).toMatchObject({ code: 2002 });
    const ok = await initWith({ userInfoType: 'EMAIL', userInfo: 'someone@example.org', minRegistrationLevel: 'BASIC', attributesToReturn: [{ attribute: 'EMAIL_ADDRESS' }] });
    expect(ok.status).toBe(200);
    expect(await raw('getOneResult', `getOneAuthResultRequest=${b64({ authRef: 'nope' })}`)).toEqual({ status: 422, json: { code: 1100, message: 'Invalid reference (for example, nonexistent or expired).' } });
    expect((await raw('getResults', `getAuthResultsRequest=${b64({ includePrevious: 'SOME' })}`)).json).toMatchObject({ code: 1200 });
    const all = await raw('getResults', `getAuthResultsRequest=${b64({ includePrevious: 'ALL' })}`);
    expect(all.status).toBe(200);
    expect((all.json as { authenticationResults: unknown[] }).authenticationResults.length).toBeGreaterThan(0);
  });

  it('fails on demand: HTTP 500, a hang past the client timeout, an error code', async () => {
    await control('faults', { operation: 'initAuthentication', httpStatus: 500 });
    await expect(init()).rejects.toMatchObject({ code: 'unavailable', transient: true, detail: 'init: HTTP 500' });
    await control('faults', { operation: 'initAuthentication', delayMs: 900 });
    await expect(init()).rejects.toMatchObject({ code: 'unavailable', detail: expect.stringMatching(/^init: timeout/) });
    await control('faults', { operation: 'initAuthentication', httpStatus: 422, code: 1005 });
    await expect(init()).rejects.toMatchObject({ code: 'api_error', providerCode: 1005, messageKey: 'verification.freja.error.disabled' });
    expect((await init()).authRef).toBeTruthy();
    expect((await control('faults', { operation: 'nothing', httpStatus: 500 })).status).toBe(400);
  });
});

describe('the product client', () => {
  it('reports a refused connection as an outage', async () => {
    const closed = new FrejaClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 500 });
    const err = await closed.initAuthentication({ ...INIT, attributesToReturn: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FrejaError);
    expect(err).toMatchObject({ code: 'unavailable', messageKey: 'verification.freja.unavailable', detail: expect.stringMatching(/network error \(ECONNREFUSED\)/) });
    await closed.close();
  });

  it('refuses a client certificate without its key', () => {
    expect(() => new FrejaClient({ clientCertPem: '-----BEGIN CERTIFICATE-----' })).toThrow(FrejaError);
  });
});

describe('the simulator PKI', () => {
  it('is made once and kept in the data directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scl-freja-'));
    try {
      const first = await createFrejaSimulator({ dataDir: dir });
      const second = await createFrejaSimulator({ dataDir: dir });
      expect(second.x5t).toBe(first.x5t);
      expect(fs.readFileSync(path.join(dir, 'simulators/freja/root-ca.pem'), 'utf8')).toBe(first.rootCaPem);
      expect(fs.statSync(path.join(dir, 'simulators/freja/pki.json')).mode & 0o077).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
