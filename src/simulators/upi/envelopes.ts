/**
 * The answers of the simulated query service, as eCH-0214 v2.0 describes them, in the SOAP version
 * of the request (1.1 as the WSDL binds it; 1.2 accepted too).
 */
import { randomUUID } from 'node:crypto';

import type { RegisterAnswer, TestPerson } from './register.js';
import { esc } from './xml.js';

export const NS = {
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  ech0214: 'http://www.ech.ch/xmlns/eCH-0214/2',
  ech0213commons: 'http://www.ech.ch/xmlns/eCH-0213-commons/1',
  ech0058: 'http://www.ech.ch/xmlns/eCH-0058/5',
  ech0044: 'http://www.ech.ch/xmlns/eCH-0044/4',
  ech0011: 'http://www.ech.ch/xmlns/eCH-0011/8',
} as const;

export type SoapVersion = '1.1' | '1.2';

/** Notice codes of the simulated register (eCH-0213-commons codeType). */
export const NOTICE = {
  /** The number is not in the register. */
  unknownVn: 10,
  /** The number was replaced by the one in `pids`. */
  vnReplaced: 20,
  /** The number was cancelled. */
  vnCancelled: 21,
  /** The sender may not query this SPID category. */
  notAuthorised: 101,
  /** A technical problem of the register. */
  technical: 900,
} as const;

export interface RequestFacts {
  messageId: string;
  spidCategory: string;
  testDeliveryFlag: string;
  requestId: string;
  vn: string;
}

export const CONTENT_TYPE: Record<SoapVersion, string> = {
  '1.1': 'text/xml; charset=utf-8',
  '1.2': 'application/soap+xml; charset=utf-8',
};

function envelope(version: SoapVersion, body: string): string {
  const ns = version === '1.1' ? NS.soap11 : NS.soap12;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<S:Envelope xmlns:S="${ns}"><S:Body>${body}</S:Body></S:Envelope>`;
}

function header(facts: Pick<RequestFacts, 'messageId' | 'testDeliveryFlag'> | undefined, now: Date): string {
  return [
    '<h:header>',
    '<s:senderId>sedex://T0-ZZ-UPI</s:senderId>',
    `<s:messageId>${randomUUID()}</s:messageId>`,
    facts ? `<s:referenceMessageId>${esc(facts.messageId)}</s:referenceMessageId>` : '',
    '<s:messageType>2141</s:messageType>',
    '<s:sendingApplication><s:manufacturer>ServiceCore</s:manufacturer><s:product>UPI simulator</s:product><s:productVersion>1.0</s:productVersion></s:sendingApplication>',
    `<s:messageDate>${now.toISOString().replace(/\.\d{3}Z$/, 'Z')}</s:messageDate>`,
    '<s:action>1</s:action>',
    `<s:testDeliveryFlag>${facts?.testDeliveryFlag === 'false' ? 'false' : 'true'}</s:testDeliveryFlag>`,
    '</h:header>',
  ].join('');
}

const RESPONSE_OPEN = `<h:response xmlns:h="${NS.ech0214}" xmlns:s="${NS.ech0058}" xmlns:c="${NS.ech0213commons}" xmlns:d="${NS.ech0044}" xmlns:n="${NS.ech0011}" minorVersion="0">`;

function notice(code: number, description?: string): string {
  return `<c:notice><c:code>${code}</c:code>${description ? `<c:descriptionLanguage>de</c:descriptionLanguage><c:codeDescription>${esc(description)}</c:codeDescription>` : ''}</c:notice>`;
}

function personXml(p: TestPerson): string {
  const date = /^\d{4}$/.test(p.dateOfBirth) ? `<d:year>${p.dateOfBirth}</d:year>` : `<d:yearMonthDay>${p.dateOfBirth}</d:yearMonthDay>`;
  return [
    '<h:personFromUPI>',
    `<c:firstName>${esc(p.firstName)}</c:firstName>`,
    `<c:officialName>${esc(p.officialName)}</c:officialName>`,
    p.originalName ? `<c:originalName>${esc(p.originalName)}</c:originalName>` : '',
    `<c:sex>${p.sex}</c:sex>`,
    `<c:dateOfBirth>${date}</c:dateOfBirth>`,
    '<c:placeOfBirth><n:unknown>0</n:unknown></c:placeOfBirth>',
    '<c:nationalityData><n:nationalityStatus>0</n:nationalityStatus></c:nationalityData>',
    p.dateOfDeath ? `<c:dateOfDeath>${p.dateOfDeath}</c:dateOfDeath>` : '',
    '</h:personFromUPI>',
  ].join('');
}

/** The answer to a getInfoPerson subrequest, from the register's answer. */
export function getInfoPersonResponse(version: SoapVersion, facts: RequestFacts, answer: RegisterAnswer, now: Date): string {
  let inner: string;
  const echo = `<h:echoPidRequest><h:vn>${facts.vn}</h:vn></h:echoPidRequest>`;
  if (answer.kind === 'unknown') {
    inner = `<h:negativReportOnGetInfoPerson>${notice(NOTICE.unknownVn, 'AHVN13 unbekannt')}<c:data/></h:negativReportOnGetInfoPerson>`;
  } else if (answer.kind === 'replaced') {
    inner = `${echo}<h:notice><h:code>${NOTICE.vnReplaced}</h:code></h:notice><h:pids><c:vn>${answer.activeVn}</c:vn></h:pids>`;
  } else if (answer.kind === 'cancelled') {
    inner = `${echo}<h:notice><h:code>${NOTICE.vnCancelled}</h:code></h:notice><h:pids/>`;
  } else {
    inner = `${echo}<h:pids><c:vn>${answer.person.vn}</c:vn></h:pids>${personXml(answer.person)}`;
  }
  return envelope(
    version,
    `${RESPONSE_OPEN}${header(facts, now)}<h:positiveResponse><h:SPIDCategory>${esc(facts.spidCategory)}</h:SPIDCategory><h:getInfoPersonResponse><h:getInfoPersonRequestId>${esc(facts.requestId)}</h:getInfoPersonRequestId>${inner}</h:getInfoPersonResponse></h:positiveResponse></h:response>`,
  );
}

/** An eCH-0214 negativeReport: the whole request is refused. */
export function negativeReport(version: SoapVersion, facts: Pick<RequestFacts, 'messageId' | 'testDeliveryFlag'> | undefined, code: number, description: string, now: Date): string {
  return envelope(version, `${RESPONSE_OPEN}${header(facts, now)}<h:negativeReport>${notice(code, description)}<c:data/></h:negativeReport></h:response>`);
}

/** A SOAP fault: `Client`/`Sender` for a request we cannot read, `Server`/`Receiver` otherwise. */
export function soapFault(version: SoapVersion, side: 'client' | 'server', reason: string): string {
  if (version === '1.1') {
    return envelope('1.1', `<S:Fault><faultcode>S:${side === 'client' ? 'Client' : 'Server'}</faultcode><faultstring>${esc(reason)}</faultstring></S:Fault>`);
  }
  return envelope('1.2', `<S:Fault><S:Code><S:Value>S:${side === 'client' ? 'Sender' : 'Receiver'}</S:Value></S:Code><S:Reason><S:Text xml:lang="en">${esc(reason)}</S:Text></S:Reason></S:Fault>`);
}
