/**
 * The UPI simulator answers the product's real client as the query service would, from its test
 * register, and misbehaves on its documented test numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { serveSimulator, type StartedSimulator } from '../../../src/simulators/shared/server.js';
import { ACTIVE_PERSONS, BEHAVIOUR_NUMBERS, createUpiSimulator, type UpiSimulator } from '../../../src/simulators/upi/index.js';
import { UpiClient, UpiError, decideAhvCheck } from '../../../src/verification/ahv/index.js';
import { rejectionOf } from '../shared/errors.js';

let sim: UpiSimulator;
let served: StartedSimulator<UpiSimulator>;
let url: string;
const clients: UpiClient[] = [];

beforeAll(async () => {
  sim = createUpiSimulator({ basePath: '/upi', senderId: 'sedex://T0-ZZ-SANDBOX', spidCategory: 'SANDBOX.SPID', slowMs: 1500 });
  served = await serveSimulator(sim, { dropOpenRequests: true });
  url = `${new URL(served.url).origin}${sim.endpointPath}`;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await served.close();
});

function client(opts: { senderId?: string; timeoutMs?: number } = {}): UpiClient {
  const c = new UpiClient({ url, senderId: opts.senderId ?? 'sedex://T0-ZZ-SANDBOX', spidCategory: 'SANDBOX.SPID', testDeliveryFlag: true, timeoutMs: opts.timeoutMs ?? 5000 });
  clients.push(c);
  return c;
}

const failure = (p: Promise<unknown>) => rejectionOf(UpiError, p);

describe('UPI simulator', () => {
  it('is mounted under its base path at the WSDL address', () => {
    expect(sim.endpointPath).toBe('/upi/wupispid/ws/queryService/2');
  });

  it.each(ACTIVE_PERSONS.map((p) => [p.vn, p] as const))('answers %s with its person', async (vn, person) => {
    const r = await client().getInfoPerson(vn, 'de');
    expect(r).toMatchObject({ state: 'active', person: { firstName: person.firstName, officialName: person.officialName, dateOfBirth: person.dateOfBirth } });
  });

  it('confirms Anna Muster, refuses other names for her number and Otto Beispiel (deceased)', async () => {
    const anna = { givenNames: 'Anna', familyName: 'Muster', birthDate: '1985-03-14' };
    expect(decideAhvCheck(await client().getInfoPerson('7561234567897', 'de'), anna).outcome).toBe('confirmed');
    expect(decideAhvCheck(await client().getInfoPerson('7562222222224', 'de'), anna).outcome).toBe('mismatch');
    expect(decideAhvCheck(await client().getInfoPerson('7564444444446', 'de'), anna).outcome).toBe('mismatch');
    expect(decideAhvCheck(await client().getInfoPerson('7564444444446', 'de'), { givenNames: 'Otto', familyName: 'Beispiel', birthDate: '1931-02-02' }).outcome).toBe('deceased');
    expect(decideAhvCheck(await client().getInfoPerson('7563333333335', 'de'), { givenNames: 'Maria', familyName: 'Bianchi', birthDate: '1990-12-24' }).outcome).toBe('confirmed');
  });

  it('answers replaced, cancelled and unknown numbers', async () => {
    expect((await client().getInfoPerson('7560000000002', 'de')).state).toBe('inactive');
    expect((await client().getInfoPerson('7569999999991', 'de')).state).toBe('cancelled');
    expect(await client().getInfoPerson('7565555555557', 'de')).toMatchObject({ state: 'not_found', noticeCode: 10 });
  });

  it('answers the test numbers with a SOAP fault, a negative report, or slowly', async () => {
    expect(await failure(client().getInfoPerson(BEHAVIOUR_NUMBERS.soapFault, 'de'))).toMatchObject({ code: 'soap_fault', providerCode: 'S:Server' });
    expect(await failure(client().getInfoPerson(BEHAVIOUR_NUMBERS.negativeReport, 'de'))).toMatchObject({ code: 'rejected', providerCode: '900' });
    expect((await failure(client({ timeoutMs: 300 }).getInfoPerson(BEHAVIOUR_NUMBERS.slow, 'de'))).code).toBe('timeout');
    const started = Date.now();
    expect((await client().getInfoPerson(BEHAVIOUR_NUMBERS.slow, 'de')).state).toBe('not_found');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });

  it('refuses a sender it does not know with a negative report', async () => {
    expect(await failure(client({ senderId: 'sedex://T9-XX-1' }).getInfoPerson('7561234567897', 'de'))).toMatchObject({ code: 'rejected', providerCode: '101' });
  });

  it('keeps what it saw, with the number masked', async () => {
    const before = sim.requests.length;
    await client().getInfoPerson('7569217076985', 'it');
    expect(sim.requests.length).toBe(before + 1);
    expect(sim.requests.at(-1)).toMatchObject({ soapVersion: '1.1', senderId: 'sedex://T0-ZZ-SANDBOX', vnMasked: '756.****.****.85' });
    expect(JSON.stringify(sim.requests)).not.toMatch(/756\d{10}/);
  });

  it('speaks SOAP 1.2 too, and answers what it cannot read with a fault', async () => {
    const body = (env: string) =>
      `<e:Envelope xmlns:e="${env}"><e:Body><q:request xmlns:q="http://www.ech.ch/xmlns/eCH-0214/2" xmlns:h="http://www.ech.ch/xmlns/eCH-0058/5" minorVersion="0"><q:header><h:senderId>sedex://T0-ZZ-SANDBOX</h:senderId><h:messageId>m-1</h:messageId><h:messageType>2141</h:messageType><h:messageDate>2024-01-01T00:00:00Z</h:messageDate><h:action>1</h:action><h:testDeliveryFlag>true</h:testDeliveryFlag></q:header><q:content><q:SPIDCategory>SANDBOX.SPID</q:SPIDCategory><q:responseLanguage>de</q:responseLanguage><q:getInfoPersonRequest><q:getInfoPersonRequestId>7</q:getInfoPersonRequestId><q:detailLevelOfResponse>standard</q:detailLevelOfResponse><q:pid><q:vn>7561234567897</q:vn></q:pid></q:getInfoPersonRequest></q:content></q:request></e:Body></e:Envelope>`;
    const soap12 = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/soap+xml; charset=utf-8' }, body: body('http://www.w3.org/2003/05/soap-envelope') });
    expect(soap12.status).toBe(200);
    expect(soap12.headers.get('content-type')).toMatch(/^application\/soap\+xml/);
    const text = await soap12.text();
    expect(text).toContain('<h:getInfoPersonRequestId>7</h:getInfoPersonRequestId>');
    expect(text).toContain('<s:referenceMessageId>m-1</s:referenceMessageId>');

    const noAction = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: body('http://schemas.xmlsoap.org/soap/envelope/') });
    expect(noAction.status).toBe(500);
    expect(await noAction.text()).toContain('SOAPAction');

    const garbage = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml', soapaction: '"http://www.zas.admin.ch"' }, body: '<not-soap/>' });
    expect(garbage.status).toBe(500);
    expect(await garbage.text()).toMatch(/<faultcode>S:Client<\/faultcode>/);

    const json = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
  });
});
