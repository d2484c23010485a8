/**
 * The UPI client's I/O: what goes on the wire, and how failures of the network (refused, timeout,
 * TLS) and of the service (SOAP fault, HTTP errors) come back, against local fake services.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { UpiClient, UpiError, parseXml, type UpiClientEvent, type UpiClientOptions } from '../../../src/verification/ahv/index.js';
import { freePort } from '../../helpers/server.js';
import { rejectionOf } from '../shared/errors.js';
import { mutualTlsService } from '../shared/mutual-tls.js';

const VN = '7561234567897';

interface Seen {
  headers: IncomingMessage['headers'];
  body: string;
}
type Reply = { status: number; body: string; type?: string } | 'hang';

const servers: Server[] = [];
const clients: UpiClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** A positive answer to whatever request came in (echoing its messageId and number). */
function answerFor(requestXml: string, overrides: { vn?: string } = {}): string {
  const messageId = /messageId>([^<]+)</.exec(requestXml)![1]!;
  const vn = /<eCH-0214:vn>(\d+)</.exec(requestXml)![1]!;
  return `<?xml version="1.0"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>
<r:response xmlns:r="http://www.ech.ch/xmlns/eCH-0214/2" xmlns:h="http://www.ech.ch/xmlns/eCH-0058/5" xmlns:c="http://www.ech.ch/xmlns/eCH-0213-commons/1" xmlns:d="http://www.ech.ch/xmlns/eCH-0044/4" minorVersion="0">
<r:header><h:senderId>sedex://T0-ZZ-UPI</h:senderId><h:messageId>reply-1</h:messageId><h:referenceMessageId>${messageId}</h:referenceMessageId><h:messageType>2141</h:messageType>
<h:sendingApplication><h:manufacturer>x</h:manufacturer><h:product>y</h:product><h:productVersion>1</h:productVersion></h:sendingApplication>
<h:messageDate>2024-01-01T00:00:00Z</h:messageDate><h:action>1</h:action><h:testDeliveryFlag>true</h:testDeliveryFlag></r:header>
<r:positiveResponse><r:SPIDCategory>T.SPID</r:SPIDCategory><r:getInfoPersonResponse><r:getInfoPersonRequestId>1</r:getInfoPersonRequestId>
<r:echoPidRequest><r:vn>${vn}</r:vn></r:echoPidRequest><r:pids><c:vn>${overrides.vn ?? vn}</c:vn></r:pids>
<r:personFromUPI><c:firstName>Anna</c:firstName><c:officialName>Muster</c:officialName><c:sex>2</c:sex><c:dateOfBirth><d:yearMonthDay>1985-03-14</d:yearMonthDay></c:dateOfBirth><c:placeOfBirth/><c:nationalityData/></r:personFromUPI>
</r:getInfoPersonResponse></r:positiveResponse></r:response></S:Body></S:Envelope>`;
}

function handler(reply: (seen: Seen) => Reply, seen: Seen[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(s);
      const r = reply(s);
      if (r === 'hang') return;
      res.writeHead(r.status, { 'content-type': r.type ?? 'text/xml; charset=utf-8' });
      res.end(r.body);
    });
  };
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function fakeUpi(reply: (seen: Seen) => Reply) {
  const seen: Seen[] = [];
  const port = await listen(createHttpServer(handler(reply, seen)));
  return { url: `http://127.0.0.1:${port}/wupispid/ws/queryService/2`, seen };
}

function client(opts: Partial<UpiClientOptions> & { url: string }): UpiClient {
  const c = new UpiClient({ senderId: 'sedex://T1-CH-12', spidCategory: 'T.SPID', testDeliveryFlag: true, timeoutMs: 2000, ...opts });
  clients.push(c);
  return c;
}

const rejection = (p: Promise<unknown>) => rejectionOf(UpiError, p);

describe('UpiClient', () => {
  it('posts a SOAP 1.1 querySpid request and reads the answer', async () => {
    const upi = await fakeUpi((s) => ({ status: 200, body: answerFor(s.body) }));
    const events: UpiClientEvent[] = [];
    const r = await client({ url: upi.url, onEvent: (e) => events.push(e) }).getInfoPerson(VN, 'fr');
    expect(r).toMatchObject({ state: 'active', person: { firstName: 'Anna', officialName: 'Muster', dateOfBirth: '1985-03-14' }, responseMessageId: 'reply-1' });
    expect(upi.seen).toHaveLength(1);
    const { headers, body } = upi.seen[0]!;
    expect(headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(headers.soapaction).toBe('"http://www.zas.admin.ch"');
    const request = parseXml(body).children[0]!.children[0]!;
    expect(request).toMatchObject({ ns: 'http://www.ech.ch/xmlns/eCH-0214/2', name: 'request' });
    expect(body).toContain(`<eCH-0214:vn>${VN}</eCH-0214:vn>`);
    expect(body).toContain('<eCH-0214:responseLanguage>fr</eCH-0214:responseLanguage>');
    expect(body).toContain('<eCH-0058:senderId>sedex://T1-CH-12</eCH-0058:senderId>');
    expect(events).toEqual([{ type: 'response', httpStatus: 200, durationMs: expect.any(Number) }]);
    expect(JSON.stringify(events)).not.toContain(VN);
  });

  it('uses a fresh messageId per request', async () => {
    const upi = await fakeUpi((s) => ({ status: 200, body: answerFor(s.body) }));
    const c = client({ url: upi.url });
    await c.getInfoPerson(VN, 'de');
    await c.getInfoPerson(VN, 'de');
    const ids = upi.seen.map((s) => /messageId>([^<]+)</.exec(s.body)![1]);
    expect(new Set(ids).size).toBe(2);
  });

  it('reports a SOAP fault as soap_fault', async () => {
    const upi = await fakeUpi(() => ({
      status: 500,
      body: '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>down</faultstring></s:Fault></s:Body></s:Envelope>',
    }));
    const e = await rejection(client({ url: upi.url }).getInfoPerson(VN, 'de'));
    expect(e).toMatchObject({ code: 'soap_fault', providerCode: 's:Server' });
  });

  it('reports an HTTP error page as unavailable', async () => {
    const upi = await fakeUpi(() => ({ status: 503, body: '<html>maintenance</html>', type: 'text/html' }));
    expect((await rejection(client({ url: upi.url }).getInfoPerson(VN, 'de'))).code).toBe('unavailable');
  });

  it('gives up after the configured time', async () => {
    const upi = await fakeUpi(() => 'hang');
    const events: UpiClientEvent[] = [];
    const started = Date.now();
    const e = await rejection(client({ url: upi.url, timeoutMs: 300, onEvent: (ev) => events.push(ev) }).getInfoPerson(VN, 'de'));
    expect(e).toMatchObject({ code: 'timeout', status: 504, messageKey: 'verification.ahv.error.timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(events).toEqual([{ type: 'failure', code: 'timeout', durationMs: expect.any(Number) }]);
  });

  it('reports a refused connection as unavailable', async () => {
    const port = await freePort();
    const e = await rejection(client({ url: `http://127.0.0.1:${port}/q` }).getInfoPerson(VN, 'de'));
    expect(e).toMatchObject({ code: 'unavailable', status: 503, messageKey: 'verification.ahv.error.unavailable' });
    expect(e.detail).toMatch(/ECONNREFUSED/);
  });

  it('refuses bad options', () => {
    expect(() => new UpiClient({ url: 'ftp://x', senderId: 's', spidCategory: 'c', testDeliveryFlag: true })).toThrow(TypeError);
    expect(() => new UpiClient({ url: 'https://x', senderId: 's', spidCategory: 'c', testDeliveryFlag: true, clientCertPem: 'c' })).toThrow(TypeError);
  });
});

describe('UpiClient over mutual TLS', () => {
  async function tlsUpi() {
    const seen: Seen[] = [];
    const t = await mutualTlsService('servicecore.sender', handler((s) => ({ status: 200, body: answerFor(s.body) }), seen));
    return { ...t, url: `https://127.0.0.1:${await listen(t.server)}/wupispid/ws/queryService/2`, seen };
  }

  it('authenticates with the client certificate and trusts the configured CA', async () => {
    const t = await tlsUpi();
    const r = await client({ url: t.url, caCertsPem: t.caPem, clientCertPem: t.certPem, clientKeyPem: t.keyPem }).getInfoPerson(VN, 'de');
    expect(r.state).toBe('active');
    expect(t.peers).toEqual(['servicecore.sender']);
  });

  it('fails without a client certificate, and with a server it does not trust', async () => {
    const t = await tlsUpi();
    expect((await rejection(client({ url: t.url, caCertsPem: t.caPem }).getInfoPerson(VN, 'de'))).code).toBe('unavailable');
    const untrusted = await rejection(client({ url: t.url, clientCertPem: t.certPem, clientKeyPem: t.keyPem }).getInfoPerson(VN, 'de'));
    expect(untrusted.code).toBe('unavailable');
    expect(untrusted.detail).toMatch(/TLS/);
    expect(t.seen).toHaveLength(0);
  });
});
