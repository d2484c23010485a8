/**
 * The UPI query service of the ZAS (WSDL `SpidQueryService`, operation `querySpid`, SOAP 1.1
 * document/literal, soapAction "http://www.zas.admin.ch"): an eCH-0214 v2.0 `request` with one
 * `getInfoPersonRequest` for an AHV number (`vn`), answered by an eCH-0214 `response`.
 *
 * This module only builds the request; responses are read in responses.ts.
 */
import { escapeXml } from './xml.js';

export const NS = {
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  ech0214: 'http://www.ech.ch/xmlns/eCH-0214/2',
  ech0213commons: 'http://www.ech.ch/xmlns/eCH-0213-commons/1',
  ech0058: 'http://www.ech.ch/xmlns/eCH-0058/5',
  ech0044: 'http://www.ech.ch/xmlns/eCH-0044/4',
} as const;

/** The SOAPAction of `querySpid` (WSDL binding SpidQueryServiceBindingV2). */
export const SOAP_ACTION = 'http://www.zas.admin.ch';

/** eCH-0058 messageType of a UPI query, and the application we announce ourselves as. */
export const MESSAGE_TYPE = '2141';
export const SENDING_APPLICATION = { manufacturer: 'ServiceCore', product: 'ServiceCore Login', productVersion: '1.0' } as const;

/** Languages of the register's texts (eCH-0214 `responseLanguage`): the official languages. */
export type ResponseLanguage = 'de' | 'fr' | 'it';

/** The register's language for a page language (English pages get German texts). */
export function responseLanguageFor(locale: string): ResponseLanguage {
  return locale === 'fr' || locale === 'it' ? locale : 'de';
}

export interface GetInfoPersonParams {
  /** eCH-0058 senderId assigned by the ZAS, e.g. `sedex://T1-CH-12`. */
  senderId: string;
  /** eCH-0058 messageId (at most 36 characters); the response refers to it. */
  messageId: string;
  /** The SPID category the ZAS granted the sender (eCH-0044 personIdCategoryType). */
  spidCategory: string;
  /** AHVN13, 13 digits, already validated. */
  vn: string;
  responseLanguage: ResponseLanguage;
  messageDate: Date;
  /** eCH-0058 testDeliveryFlag: true towards the ZAS test environment. */
  testDeliveryFlag: boolean;
}

/** The eCH-0214 `request` element of a getInfoPerson query for one AHV number. */
export function buildGetInfoPersonRequest(p: GetInfoPersonParams): string {
  if (!/^756\d{10}$/.test(p.vn)) throw new TypeError('vn must be 13 digits starting with 756');
  if (p.messageId.length < 1 || p.messageId.length > 36) throw new TypeError('messageId must have 1 to 36 characters');
  if (p.spidCategory.length < 1 || p.spidCategory.length > 20) throw new TypeError('spidCategory must have 1 to 20 characters');
  const e = escapeXml;
  return [
    `<eCH-0214:request xmlns:eCH-0214="${NS.ech0214}" xmlns:eCH-0058="${NS.ech0058}" minorVersion="0">`,
    '<eCH-0214:header>',
    `<eCH-0058:senderId>${e(p.senderId)}</eCH-0058:senderId>`,
    `<eCH-0058:messageId>${e(p.messageId)}</eCH-0058:messageId>`,
    `<eCH-0058:messageType>${MESSAGE_TYPE}</eCH-0058:messageType>`,
    '<eCH-0058:sendingApplication>',
    `<eCH-0058:manufacturer>${e(SENDING_APPLICATION.manufacturer)}</eCH-0058:manufacturer>`,
    `<eCH-0058:product>${e(SENDING_APPLICATION.product)}</eCH-0058:product>`,
    `<eCH-0058:productVersion>${e(SENDING_APPLICATION.productVersion)}</eCH-0058:productVersion>`,
    '</eCH-0058:sendingApplication>',
    `<eCH-0058:messageDate>${p.messageDate.toISOString().replace(/\.\d{3}Z$/, 'Z')}</eCH-0058:messageDate>`,
    '<eCH-0058:action>1</eCH-0058:action>',
    `<eCH-0058:testDeliveryFlag>${p.testDeliveryFlag}</eCH-0058:testDeliveryFlag>`,
    '</eCH-0214:header>',
    '<eCH-0214:content>',
    `<eCH-0214:SPIDCategory>${e(p.spidCategory)}</eCH-0214:SPIDCategory>`,
    `<eCH-0214:responseLanguage>${p.responseLanguage}</eCH-0214:responseLanguage>`,
    '<eCH-0214:getInfoPersonRequest>',
    '<eCH-0214:getInfoPersonRequestId>1</eCH-0214:getInfoPersonRequestId>',
    '<eCH-0214:detailLevelOfResponse>standard</eCH-0214:detailLevelOfResponse>',
    `<eCH-0214:pid><eCH-0214:vn>${p.vn}</eCH-0214:vn></eCH-0214:pid>`,
    '</eCH-0214:getInfoPersonRequest>',
    '</eCH-0214:content>',
    '</eCH-0214:request>',
  ].join('');
}

/** Wraps a body element in a SOAP 1.1 envelope (the binding the WSDL describes). */
export function soap11Envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${NS.soap11}"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
}

/** HTTP headers of a SOAP 1.1 call to `querySpid`. */
export const SOAP11_HEADERS = {
  'content-type': 'text/xml; charset=utf-8',
  accept: 'text/xml, application/soap+xml',
  soapaction: `"${SOAP_ACTION}"`,
} as const;
