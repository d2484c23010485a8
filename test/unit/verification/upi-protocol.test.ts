/**
 * The UPI query (eCH-0214 getInfoPerson over SOAP): the request we build, and how answers are read,
 * with the schema-valid example messages of shared/vectors/upi-ahv and variations of them.
 */
import fs from 'node:fs';

import { describe, expect, it } from 'vitest';

import { buildGetInfoPersonRequest, processGetInfoPersonResponse, soap11Envelope, UpiError, UPI_NS, parseXml } from '../../../src/verification/ahv/index.js';
import { thrownBy } from '../shared/errors.js';

const VECTORS = new URL('../../../../shared/vectors/upi-ahv/synthetic-schema-valid/', import.meta.url);
const vector = (name: string) => fs.readFileSync(new URL(name, VECTORS), 'utf8').replace(/^<\?xml[^>]*\?>\s*/, '');
const POSITIVE = vector('ech0214-getInfoPerson-positiveResponse.xml');
const NEGATIVE = vector('ech0214-negativeReport.xml');
const REQUEST = vector('ech0214-getInfoPerson-request.xml');

const VN = '7569217076985';
const EXPECTED = { messageId: '00000000-0000-0000-0000-000000000001', vn: VN };

function soap11(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
}
function soap12(body: string): string {
  return `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>${body}</env:Body></env:Envelope>`;
}
const rejection = (fn: () => unknown) => thrownBy(UpiError, fn);

describe('the getInfoPerson request', () => {
  const params = {
    senderId: 'sedex://T0-ZZ-0000',
    messageId: '00000000-0000-0000-0000-000000000001',
    spidCategory: 'EXAMPLE.SPID',
    vn: VN,
    responseLanguage: 'de' as const,
    messageDate: new Date('2024-01-01T00:00:00Z'),
    testDeliveryFlag: true,
  };

  it('carries the same elements as the schema-valid example request, in the eCH-0214/eCH-0058 namespaces', () => {
    const ours = parseXml(buildGetInfoPersonRequest(params));
    const example = parseXml(REQUEST);
    const shape = (el: ReturnType<typeof parseXml>): unknown => ({ ns: el.ns, name: el.name, children: el.children.map(shape) });
    // The same tree of elements; sendingApplication values and the SPID category are ours.
    expect(shape(ours)).toEqual(shape(example));
    const values = (el: ReturnType<typeof parseXml>, out: Record<string, string> = {}) => {
      for (const c of el.children) {
        if (c.children.length === 0) out[c.name] = c.text;
        else values(c, out);
      }
      return out;
    };
    expect(values(ours)).toMatchObject({ vn: VN, messageId: params.messageId, senderId: params.senderId, messageDate: '2024-01-01T00:00:00Z', testDeliveryFlag: 'true', getInfoPersonRequestId: '1', detailLevelOfResponse: 'standard', responseLanguage: 'de' });
  });

  it('wraps it in a SOAP 1.1 envelope and escapes what it inserts', () => {
    const xml = soap11Envelope(buildGetInfoPersonRequest({ ...params, senderId: 'sedex://a&b<c>' }));
    const root = parseXml(xml);
    expect(root).toMatchObject({ ns: UPI_NS.soap11, name: 'Envelope' });
    expect(xml).toContain('sedex://a&amp;b&lt;c&gt;');
  });

  it('refuses a number that is not an AHVN13 and fields the schema would refuse', () => {
    expect(() => buildGetInfoPersonRequest({ ...params, vn: '75592170769' })).toThrow(TypeError);
    expect(() => buildGetInfoPersonRequest({ ...params, spidCategory: 'X'.repeat(21) })).toThrow(TypeError);
    expect(() => buildGetInfoPersonRequest({ ...params, messageId: '' })).toThrow(TypeError);
  });
});

describe('reading the answer', () => {
  it('reads the positive example: the number is active and names its person', () => {
    const r = processGetInfoPersonResponse(200, soap11(POSITIVE), EXPECTED);
    expect(r).toEqual({
      state: 'active',
      person: { firstName: 'Example', officialName: 'Person', sex: '1', dateOfBirth: '1980-01-01' },
      notices: [],
      responseMessageId: '00000000-0000-0000-0000-000000000002',
    });
  });

  it('does not care which prefixes the sender chose, nor the SOAP version', () => {
    const renamed = POSITIVE.replace(/eCH-0214:/g, 'q:').replace(/xmlns:eCH-0214=/, 'xmlns:q=').replace(/eCH-0213-commons:/g, 'c:').replace(/xmlns:eCH-0213-commons=/, 'xmlns:c=');
    expect(processGetInfoPersonResponse(200, soap12(renamed), EXPECTED).state).toBe('active');
    const defaultNs = POSITIVE.replace(/eCH-0214:/g, '').replace(/xmlns:eCH-0214=/, 'xmlns=');
    expect(processGetInfoPersonResponse(200, soap11(defaultNs), EXPECTED).state).toBe('active');
  });

  it('does not accept the right local names in the wrong namespace', () => {
    const wrong = POSITIVE.replace('http://www.ech.ch/xmlns/eCH-0214/2', 'http://www.ech.ch/xmlns/eCH-0214/1');
    expect(rejection(() => processGetInfoPersonResponse(200, soap11(wrong), EXPECTED)).code).toBe('malformed_response');
  });

  it('reads a replaced number as inactive and a number without an active one as cancelled', () => {
    const replaced = POSITIVE.replace('<eCH-0213-commons:vn>7569217076985</eCH-0213-commons:vn>', '<eCH-0213-commons:vn>7561234567897</eCH-0213-commons:vn>').replace(
      '<eCH-0214:pids>',
      '<eCH-0214:notice><eCH-0214:code>20</eCH-0214:code></eCH-0214:notice><eCH-0214:pids>',
    );
    expect(processGetInfoPersonResponse(200, soap11(replaced), EXPECTED)).toMatchObject({ state: 'inactive', notices: [20] });
    const cancelled = POSITIVE.replace('<eCH-0213-commons:vn>7569217076985</eCH-0213-commons:vn>', '');
    expect(processGetInfoPersonResponse(200, soap11(cancelled), EXPECTED)).toMatchObject({ state: 'cancelled' });
  });

  it('reads a negative report on the subrequest as an unknown number', () => {
    const unknown = POSITIVE.replace(/<eCH-0214:echoPidRequest>[\s\S]*<\/eCH-0214:personFromUPI>/, '<eCH-0214:negativReportOnGetInfoPerson><eCH-0213-commons:notice><eCH-0213-commons:code>10</eCH-0213-commons:code></eCH-0213-commons:notice><eCH-0213-commons:data/></eCH-0214:negativReportOnGetInfoPerson>');
    expect(processGetInfoPersonResponse(200, soap11(unknown), EXPECTED)).toMatchObject({ state: 'not_found', noticeCode: 10 });
  });

  it('reads partial dates of birth and a date of death', () => {
    const partial = POSITIVE.replace('<eCH-0044:yearMonthDay>1980-01-01</eCH-0044:yearMonthDay>', '<eCH-0044:year>1980</eCH-0044:year>').replace(
      '</eCH-0214:personFromUPI>',
      '<eCH-0213-commons:dateOfDeath>2020-02-02</eCH-0213-commons:dateOfDeath></eCH-0214:personFromUPI>',
    );
    const r = processGetInfoPersonResponse(200, soap11(partial), EXPECTED);
    expect(r).toMatchObject({ state: 'active', person: { dateOfBirth: '1980', dateOfDeath: '2020-02-02' } });
  });

  it('turns the negativeReport example into a refusal that keeps the notice code', () => {
    const e = rejection(() => processGetInfoPersonResponse(200, soap11(NEGATIVE), { ...EXPECTED, messageId: 'whatever' }));
    expect(e).toMatchObject({ code: 'rejected', providerCode: '0', messageKey: 'verification.ahv.error.rejected' });
  });

  it('turns SOAP 1.1 and 1.2 faults into soap_fault, keeping the code and masking numbers in the detail', () => {
    const f11 = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>cannot process vn 7569217076985</faultstring></s:Fault></s:Body></s:Envelope>`;
    const e11 = rejection(() => processGetInfoPersonResponse(500, f11, EXPECTED));
    expect(e11).toMatchObject({ code: 'soap_fault', providerCode: 's:Server', status: 502, messageKey: 'verification.ahv.error.soap_fault' });
    expect(e11.detail).not.toContain(VN);
    expect(e11.message).not.toContain(VN);
    const f12 = soap12('<env:Fault><env:Code><env:Value>env:Receiver</env:Value><env:Subcode><env:Value>x:Busy</env:Value></env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">busy</env:Text></env:Reason></env:Fault>').replace('<env:Fault>', '<env:Fault xmlns:x="urn:x">');
    expect(rejection(() => processGetInfoPersonResponse(500, f12, EXPECTED))).toMatchObject({ code: 'soap_fault', providerCode: 'env:Receiver/x:Busy' });
  });

  it('refuses an answer to another request', () => {
    expect(rejection(() => processGetInfoPersonResponse(200, soap11(POSITIVE), { ...EXPECTED, messageId: 'another' })).code).toBe('response_mismatch');
    expect(rejection(() => processGetInfoPersonResponse(200, soap11(POSITIVE), { ...EXPECTED, vn: '7561234567897' })).code).toBe('response_mismatch');
    const otherId = POSITIVE.replace('<eCH-0214:getInfoPersonRequestId>1<', '<eCH-0214:getInfoPersonRequestId>2<');
    expect(rejection(() => processGetInfoPersonResponse(200, soap11(otherId), EXPECTED)).code).toBe('response_mismatch');
  });

  it('never crashes on what is not an answer', () => {
    expect(rejection(() => processGetInfoPersonResponse(502, '<html><body>Bad gateway</body></html>', EXPECTED)).code).toBe('unavailable');
    expect(rejection(() => processGetInfoPersonResponse(503, 'Service Unavailable', EXPECTED)).code).toBe('unavailable');
    expect(rejection(() => processGetInfoPersonResponse(200, 'not xml <', EXPECTED)).code).toBe('malformed_response');
    expect(rejection(() => processGetInfoPersonResponse(200, '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', EXPECTED)).code).toBe('malformed_response');
    expect(rejection(() => processGetInfoPersonResponse(200, soap11(''), EXPECTED)).code).toBe('malformed_response');
    expect(rejection(() => processGetInfoPersonResponse(200, soap11('<p:x xmlns:p="urn:x"/>'), EXPECTED)).code).toBe('malformed_response');
    expect(rejection(() => processGetInfoPersonResponse(404, soap11(POSITIVE), EXPECTED)).code).toBe('malformed_response');
    expect(rejection(() => processGetInfoPersonResponse(200, '<a:b/>', EXPECTED)).code).toBe('malformed_response');
    const noName = POSITIVE.replace(/<eCH-0213-commons:firstName>.*?<\/eCH-0213-commons:firstName>/, '');
    expect(rejection(() => processGetInfoPersonResponse(200, soap11(noName), EXPECTED)).code).toBe('malformed_response');
  });
});
