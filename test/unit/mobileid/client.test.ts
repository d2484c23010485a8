import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { MobileIdClient, type MobileIdClientEvent, type MobileIdClientOptions } from '../../../src/mobileid/client.js';
import { verifyCmsSignature } from '../../../src/mobileid/cms.js';
import { MobileIdError } from '../../../src/mobileid/errors.js';
import { CertificateStore } from '../../../src/mobileid/certificates.js';
import { rejectionOf } from '../shared/errors.js';
import { mutualTlsService } from '../shared/mutual-tls.js';
import { fixtureJson, fixtureText } from './helpers.js';

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, Record<string, unknown>>;
}
type Reply = { status: number; json?: unknown; raw?: string } | 'hang' | 'destroy';
type Handler = (seen: Seen) => Reply;

const servers: Server[] = [];
const clients: MobileIdClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

function handle(handler: Handler, seen: Seen[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Seen['body'] };
      seen.push(s);
      const reply = handler(s);
      if (reply === 'hang') return;
      if (reply === 'destroy') {
        req.socket.destroy();
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'application/json;charset=UTF-8' });
      res.end(reply.raw ?? JSON.stringify(reply.json));
    });
  };
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A local fake MSSP; answers with `handler` and records what it saw. */
async function fakeMssp(handler: Handler): Promise<{ baseUrl: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const port = await listen(createHttpServer(handle(handler, seen)));
  return { baseUrl: `http://127.0.0.1:${port}`, seen };
}

function client(options: Partial<MobileIdClientOptions> & { baseUrl: string }): MobileIdClient {
  const c = new MobileIdClient({ apId: 'mid://servicecore.test', apPassword: 'not-used', retryDelayMs: 0, ...options });
  clients.push(c);
  return c;
}

const apInfoOf = (s: Seen): { AP_TransID: string } => Object.values(s.body)[0]!['AP_Info'] as { AP_TransID: string };

/** A recorded response with AP_TransID (and MSISDN) replaced by what the request carried. */
function echo(file: string, s: Seen, msisdn?: string): unknown {
  const json = structuredClone(fixtureJson(file)) as Record<string, Record<string, unknown>>;
  const inner = Object.values(json)[0]!;
  (inner['AP_Info'] as { AP_TransID: string }).AP_TransID = apInfoOf(s).AP_TransID;
  if (msisdn && inner['MobileUser']) inner['MobileUser'] = { MSISDN: msisdn };
  return json;
}

const rejection = (p: Promise<unknown>) => rejectionOf(MobileIdError, p);

const DTBD = 'Test: Sign in from Postman?';

describe('MobileIdClient against a local MSSP', () => {
  it('runs a whole login: profile, async signature, polling, CMS verification, receipt', async () => {
    let polls = 0;
    const mssp = await fakeMssp((s) => {
      if (s.path === '/rest/service/profile') return { status: 200, json: echo('rest-responses/profile-100-REQUEST_OK-ec-sim.json', s) };
      if (s.path === '/rest/service/sign') return { status: 200, json: echo('rest-responses/sign-async-100-REQUEST_OK.json', s, '41700092501') };
      if (s.path === '/rest/service/status') {
        polls += 1;
        return polls < 3
          ? { status: 200, json: echo('rest-responses/status-504-OUTSTANDING_TRANSACTION.json', s, '41700092501') }
          : { status: 200, json: echo('rest-responses/status-500-SIGNATURE-ec-geofencing.json', s) };
      }
      if (s.path === '/rest/service/receipt') return { status: 200, json: echo('rest-responses/receipt-100-REQUEST_OK.json', s) };
      return { status: 404, raw: 'not found' };
    });
    const events: MobileIdClientEvent[] = [];
    const c = client({ baseUrl: `${mssp.baseUrl}/rest/service/`, onEvent: (e) => events.push(e), signatureProfile: 'http://mid.swisscom.ch/STK-LoA4' });

    const profile = await c.profile('+41 70 009 25 01');
    expect(profile.activeMethods).toEqual(['sim']);

    const accepted = await c.signAsync({ msisdn: '070 009 25 01', dtbd: DTBD, userLang: 'EN', geofencing: true });
    expect(accepted).toMatchObject({ state: 'accepted', msspTransId: 'HEhm82c1', msisdn: '41700092501' });

    let status = await c.status({ msspTransId: accepted.msspTransId, msisdn: '41700092501' });
    while (status.state === 'outstanding') status = await c.status({ msspTransId: accepted.msspTransId, msisdn: '41700092501' });
    expect(polls).toBe(3);
    if (status.state !== 'signed') throw new Error('expected signed');
    const verified = await verifyCmsSignature(status.base64Signature, {
      expectedDtbd: DTBD,
      trustAnchors: CertificateStore.fromPem(fixtureText('certs/Swisscom_Root_CA_4.pem')),
      now: new Date('2024-07-02T08:05:00Z'),
    });
    expect(verified.mobileIdSerial).toBe('MIDCHEO16P1O6E92');

    const receipt = await c.receipt({ msspTransId: accepted.msspTransId, msisdn: '41700092501', message: 'ServiceCore: You are logged in.', userLang: 'EN' });
    expect(receipt.statusCode).toBe(100);

    // What went over the wire.
    expect(mssp.seen.map((s) => s.path)).toEqual([
      '/rest/service/profile',
      '/rest/service/sign',
      '/rest/service/status',
      '/rest/service/status',
      '/rest/service/status',
      '/rest/service/receipt',
    ]);
    for (const s of mssp.seen) {
      expect(s.headers['content-type']).toBe('application/json; charset=UTF-8');
      expect(s.headers['accept']).toBe('application/json');
    }
    const sign = mssp.seen[1]!.body['MSS_SignatureReq']!;
    expect(sign).toMatchObject({
      MajorVersion: '1',
      MinorVersion: '2',
      AP_Info: { AP_ID: 'mid://servicecore.test', AP_PWD: 'not-used' },
      MobileUser: { MSISDN: '41700092501' },
      MessagingMode: 'asynch',
      DataToBeSigned: { MimeType: 'text/plain', Encoding: 'UTF-8', Data: DTBD },
      TimeOut: '80',
      SignatureProfile: 'http://mid.swisscom.ch/STK-LoA4',
      AdditionalServices: [{ Description: 'http://mid.swisscom.ch/as#geofencing' }, { Description: 'http://mss.ficom.fi/TS102204/v1.0.0#userLang', UserLang: { Value: 'EN' } }],
    });
    expect(mssp.seen[2]!.body['MSS_StatusReq']).toMatchObject({ MSSP_TransID: 'HEhm82c1', MajorVersion: '1', MinorVersion: '1' });
    const ids = mssp.seen.map((s) => apInfoOf(s).AP_TransID);
    expect(new Set(ids).size).toBe(ids.length);
    expect(events.filter((e) => e.type === 'response')).toHaveLength(6);
    expect(JSON.stringify(events)).not.toContain('41700092501');
  });

  it('throws provider faults at once, keeping the code (no retry for 401)', async () => {
    const mssp = await fakeMssp(() => ({ status: 500, json: fixtureJson('client-java-samples/rest-response-fault-user-cancel.json') }));
    const e = await rejection(client({ baseUrl: mssp.baseUrl }).status({ msspTransId: 'h4iof', msisdn: '41791234567' }));
    expect(e).toMatchObject({ code: 'user_cancel', providerCode: 401, status: 403, messageKey: 'mobileid.fault.401' });
    expect(mssp.seen).toHaveLength(1);
  });

  it('retries a 900 once with a fresh AP_TransID and Instant, then succeeds', async () => {
    const fault900 = { Fault: { Code: { Value: 'Receiver', SubCode: { Value: '_900' } }, Reason: 'INTERNAL_ERROR', Detail: 'Unknown Error' } };
    const mssp = await fakeMssp((s) => (mssp.seen.length === 1 ? { status: 500, json: fault900 } : { status: 200, json: echo('rest-responses/sign-async-100-REQUEST_OK.json', s, '41700092501') }));
    const events: MobileIdClientEvent[] = [];
    const r = await client({ baseUrl: mssp.baseUrl, onEvent: (e) => events.push(e) }).signAsync({ msisdn: '41700092501', dtbd: DTBD, userLang: 'DE' });
    expect(r.state).toBe('accepted');
    expect(mssp.seen).toHaveLength(2);
    expect(apInfoOf(mssp.seen[0]!).AP_TransID).not.toBe(apInfoOf(mssp.seen[1]!).AP_TransID);
    expect(events).toContainEqual({ type: 'retry', operation: 'signature', code: 'internal_error', providerCode: 900, attempt: 1 });
  });

  it('gives up after the second 900: unavailable (503), provider code kept', async () => {
    const mssp = await fakeMssp(() => ({ status: 500, json: { Fault: { Code: { Value: 'Receiver', SubCode: { Value: '_900' } }, Reason: 'INTERNAL_ERROR' } } }));
    const e = await rejection(client({ baseUrl: mssp.baseUrl }).profile('41791234567'));
    expect(e).toMatchObject({ code: 'unavailable', status: 503, providerCode: 900, messageKey: 'mobileid.fault.900' });
    expect(mssp.seen).toHaveLength(2);
  });

  it('retries a timeout once, then unavailable', async () => {
    const mssp = await fakeMssp(() => 'hang');
    const started = Date.now();
    const e = await rejection(client({ baseUrl: mssp.baseUrl, requestTimeoutMs: 150 }).status({ msspTransId: 'h4iof', msisdn: '41791234567' }));
    expect(e).toMatchObject({ code: 'unavailable', status: 503, messageKey: 'mobileid.error.unavailable' });
    expect(e.detail).toMatch(/timeout/);
    expect(mssp.seen).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('retries a dropped connection once, then unavailable', async () => {
    const mssp = await fakeMssp(() => 'destroy');
    const e = await rejection(client({ baseUrl: mssp.baseUrl }).profile('41791234567'));
    expect(e.code).toBe('unavailable');
    expect(mssp.seen).toHaveLength(2);
  });

  it('reports a refused connection as unavailable', async () => {
    const probe = await fakeMssp(() => ({ status: 200, json: {} }));
    const port = new URL(probe.baseUrl).port;
    for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
    const e = await rejection(client({ baseUrl: `http://127.0.0.1:${port}` }).profile('41791234567'));
    expect(e).toMatchObject({ code: 'unavailable', status: 503 });
  });

  it('does not send an MSS Signature again after a timeout or a dropped connection: it may have reached the phone', async () => {
    for (const reply of ['hang', 'destroy'] as const) {
      const mssp = await fakeMssp(() => reply);
      const e = await rejection(client({ baseUrl: mssp.baseUrl, requestTimeoutMs: 150 }).signAsync({ msisdn: '41700092501', dtbd: DTBD, userLang: 'EN' }));
      expect(e).toMatchObject({ code: 'unavailable', status: 503, messageKey: 'mobileid.error.unavailable' });
      expect(mssp.seen, reply).toHaveLength(1);
    }
  });

  it('sends an MSS Signature again when the connection was never made', async () => {
    const probe = await fakeMssp(() => ({ status: 200, json: {} }));
    const port = new URL(probe.baseUrl).port;
    for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
    const events: MobileIdClientEvent[] = [];
    const e = await rejection(client({ baseUrl: `http://127.0.0.1:${port}`, onEvent: (ev) => events.push(ev) }).signAsync({ msisdn: '41700092501', dtbd: DTBD, userLang: 'EN' }));
    expect(e).toMatchObject({ code: 'unavailable', status: 503 });
    expect(e.detail).toMatch(/ECONNREFUSED/);
    expect(events.filter((ev) => ev.type === 'retry')).toHaveLength(1);
  });

  it('retries an HTTP 503 from a proxy once', async () => {
    const mssp = await fakeMssp(() => ({ status: 503, raw: '<html>busy</html>' }));
    expect((await rejection(client({ baseUrl: mssp.baseUrl }).profile('41791234567'))).code).toBe('unavailable');
    expect(mssp.seen).toHaveLength(2);
  });

  it('does not retry a malformed answer', async () => {
    const mssp = await fakeMssp(() => ({ status: 200, raw: '<html>hello</html>' }));
    expect((await rejection(client({ baseUrl: mssp.baseUrl }).profile('41791234567'))).code).toBe('malformed_response');
    expect(mssp.seen).toHaveLength(1);
  });

  it('refuses an answer for another transaction or number', async () => {
    const mssp = await fakeMssp(() => ({ status: 200, json: fixtureJson('rest-responses/sign-async-100-REQUEST_OK.json') }));
    const c = client({ baseUrl: mssp.baseUrl });
    expect((await rejection(c.signAsync({ msisdn: '41700092501', dtbd: DTBD, userLang: 'EN' }))).code).toBe('response_mismatch');
  });

  it('refuses a synchronous answer to an asynchronous request', async () => {
    const mssp = await fakeMssp((s) => ({ status: 200, json: echo('rest-responses/sign-sync-500-SIGNATURE-ec-geofencing.json', s, '41700092501') }));
    expect((await rejection(client({ baseUrl: mssp.baseUrl }).signAsync({ msisdn: '41700092501', dtbd: DTBD, userLang: 'EN' }))).code).toBe('malformed_response');
  });

  it('sends nothing for an invalid number or DTBD', async () => {
    const mssp = await fakeMssp(() => ({ status: 200, json: {} }));
    const c = client({ baseUrl: mssp.baseUrl });
    expect((await rejection(c.signAsync({ msisdn: '079 12', dtbd: DTBD, userLang: 'EN' }))).code).toBe('invalid_msisdn');
    expect((await rejection(c.signAsync({ msisdn: '0791234567', dtbd: 'ç'.repeat(120), userLang: 'EN' }))).code).toBe('invalid_dtbd');
    expect((await rejection(c.profile('hello'))).code).toBe('invalid_msisdn');
    expect(mssp.seen).toHaveLength(0);
  });

  it('validates its configuration', () => {
    expect(() => new MobileIdClient({ apId: '' })).toThrow(MobileIdError);
    expect(() => new MobileIdClient({ apId: 'x', baseUrl: 'ftp://x' })).toThrow(MobileIdError);
    expect(() => new MobileIdClient({ apId: 'x', clientCertPem: 'c' })).toThrow(MobileIdError);
  });
});

describe('MobileIdClient over mutual TLS', () => {
  async function tlsMssp() {
    const seen: Seen[] = [];
    const t = await mutualTlsService('servicecore.test', handle((s) => ({ status: 200, json: echo('rest-responses/profile-100-REQUEST_OK-ec-sim.json', s) }), seen));
    return { ...t, baseUrl: `https://127.0.0.1:${await listen(t.server)}`, seen };
  }

  it('authenticates with the client certificate and trusts the configured CA', async () => {
    const t = await tlsMssp();
    const r = await client({ baseUrl: t.baseUrl, caCertsPem: t.caPem, clientCertPem: t.certPem, clientKeyPem: t.keyPem }).profile('41700092501');
    expect(r.activeMethods).toEqual(['sim']);
    expect(t.seen).toHaveLength(1);
    expect(t.peers).toEqual(['servicecore.test']);
  });

  it('fails without a client certificate', async () => {
    const t = await tlsMssp();
    const e = await rejection(client({ baseUrl: t.baseUrl, caCertsPem: t.caPem }).profile('41700092501'));
    expect(e.code).toBe('unavailable');
    expect(t.seen).toHaveLength(0);
  });

  it('does not trust the server with the default CA (SwissSign Gold G2) and does not retry a TLS failure', async () => {
    const t = await tlsMssp();
    const events: MobileIdClientEvent[] = [];
    const e = await rejection(client({ baseUrl: t.baseUrl, clientCertPem: t.certPem, clientKeyPem: t.keyPem, onEvent: (ev) => events.push(ev) }).profile('41700092501'));
    expect(e).toMatchObject({ code: 'unavailable', transient: false });
    expect(e.detail).toMatch(/TLS/);
    expect(events.filter((ev) => ev.type === 'retry')).toHaveLength(0);
    expect(t.seen).toHaveLength(0);
  });
});
