/**
 * Reads the answer to a `querySpid` getInfoPerson request (pure: no I/O), SOAP 1.1 or 1.2, any
 * namespace prefixes:
 *
 * - SOAP Fault                                   → UpiError `soap_fault` (fault code kept)
 * - eCH-0214 `negativeReport`                    → UpiError `rejected` (notice code kept)
 * - `negativReportOnGetInfoPerson`               → `{ state: 'not_found' }` (number unknown)
 * - `pids/vn` equal to the number asked for      → `{ state: 'active', person }`
 * - `pids/vn` another number (the number was replaced by that one) → `{ state: 'inactive' }`
 * - `pids` without a `vn` (the number was cancelled)               → `{ state: 'cancelled' }`
 *
 * The answer must refer to our request: `referenceMessageId` (when present), the subrequest id
 * and the echoed number must match, or UpiError `response_mismatch`.
 *
 * Errors keep the register's codes only (fault code, notice code), never its free text (fault
 * reason, notice description): that text may repeat the number or name the person, and the
 * error's detail goes to the logs.
 */
import { malformed, UpiError } from './errors.js';
import { NS } from './protocol.js';
import { child, childrenOf, parseXml, path, XmlSyntaxError, type XmlElement } from './xml.js';

export interface UpiPerson {
  firstName: string;
  officialName: string;
  originalName?: string;
  /** eCH-0044 sexType: 1 male, 2 female, 3 unknown. */
  sex: string;
  /** `YYYY-MM-DD`, or `YYYY-MM` / `YYYY` when the register knows the date only in part. */
  dateOfBirth: string;
  /** `YYYY-MM-DD` when the person has died. */
  dateOfDeath?: string;
}

export type UpiLookup =
  | { state: 'active'; person: UpiPerson | undefined; notices: number[]; responseMessageId: string }
  | { state: 'inactive' | 'cancelled'; notices: number[]; responseMessageId: string }
  | { state: 'not_found'; noticeCode: number; responseMessageId: string };

export interface ExpectedAnswer {
  /** The messageId of our request. */
  messageId: string;
  /** The number asked for (13 digits). */
  vn: string;
}

const E = NS.ech0214;
const C = NS.ech0213commons;
const H = NS.ech0058;

function soapBody(root: XmlElement): { version: '1.1' | '1.2'; body: XmlElement } {
  const version = root.ns === NS.soap11 ? '1.1' : root.ns === NS.soap12 ? '1.2' : undefined;
  if (!version || root.name !== 'Envelope') throw malformed(`not a SOAP envelope (root ${root.name})`);
  const body = child(root, root.ns, 'Body');
  if (!body) throw malformed('SOAP envelope without Body');
  return { version, body };
}

/** SOAP 1.1 `faultcode`/`faultstring`, or SOAP 1.2 `Code/Value` (+ Subcode) and `Reason/Text`. */
export function readFault(fault: XmlElement, version: '1.1' | '1.2'): { code: string; reason: string } {
  if (version === '1.1') {
    return { code: fault.children.find((c) => c.name === 'faultcode')?.text ?? '', reason: fault.children.find((c) => c.name === 'faultstring')?.text ?? '' };
  }
  const code = path(fault, [NS.soap12, 'Code'], [NS.soap12, 'Value'])?.text ?? '';
  const sub = path(fault, [NS.soap12, 'Code'], [NS.soap12, 'Subcode'], [NS.soap12, 'Value'])?.text;
  const reason = childrenOf(child(fault, NS.soap12, 'Reason'), NS.soap12, 'Text')[0]?.text ?? '';
  return { code: sub ? `${code}/${sub}` : code, reason };
}

/** A SOAP fault code as a code: QNames (optionally `code/subcode`), nothing that could be a number. */
const FAULT_CODE = /^[A-Za-z_][\w.-]{0,40}(:[A-Za-z_][\w.-]{0,40})?(\/[A-Za-z_][\w.-]{0,40}(:[A-Za-z_][\w.-]{0,40})?)?$/;

export function faultCodeOf(code: string): string {
  return FAULT_CODE.test(code) && !/\d{5,}/.test(code) ? code : 'unrecognised';
}

function noticeCode(notice: XmlElement | undefined): number {
  const text = child(notice, C, 'code')?.text ?? child(notice, E, 'code')?.text ?? '';
  const code = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(code)) throw malformed('notice without a numeric code');
  return code;
}

function dateOf(el: XmlElement | undefined): string | undefined {
  const part = el?.children.find((c) => c.ns === NS.ech0044 && ['yearMonthDay', 'yearMonth', 'year'].includes(c.name));
  if (!part) return undefined;
  const ok = { yearMonthDay: /^\d{4}-\d{2}-\d{2}$/, yearMonth: /^\d{4}-\d{2}$/, year: /^\d{4}$/ }[part.name as 'year']!.test(part.text);
  if (!ok) throw malformed(`date of birth ${part.name} is not a date`);
  return part.text;
}

function personOf(el: XmlElement | undefined): UpiPerson | undefined {
  if (!el) return undefined;
  const firstName = child(el, C, 'firstName')?.text;
  const officialName = child(el, C, 'officialName')?.text;
  const dateOfBirth = dateOf(child(el, C, 'dateOfBirth'));
  if (!firstName || !officialName || !dateOfBirth) throw malformed('personFromUPI without firstName, officialName or dateOfBirth');
  const originalName = child(el, C, 'originalName')?.text;
  const dateOfDeath = child(el, C, 'dateOfDeath')?.text;
  return {
    firstName,
    officialName,
    ...(originalName ? { originalName } : {}),
    sex: child(el, C, 'sex')?.text ?? '',
    dateOfBirth,
    ...(dateOfDeath ? { dateOfDeath } : {}),
  };
}

/**
 * Validates the HTTP answer of a getInfoPerson request. `body` is the response text; the HTTP
 * status matters only when there is no SOAP envelope to read (a proxy's error page, say).
 */
export function processGetInfoPersonResponse(httpStatus: number, body: string, expected: ExpectedAnswer): UpiLookup {
  let root: XmlElement;
  try {
    root = parseXml(body);
  } catch (err) {
    if (httpStatus >= 500) throw new UpiError('unavailable', `HTTP ${httpStatus} without a SOAP envelope`);
    throw malformed(`HTTP ${httpStatus}: ${err instanceof XmlSyntaxError ? err.message : 'unreadable body'}`);
  }
  if (root.name !== 'Envelope' && httpStatus >= 500) throw new UpiError('unavailable', `HTTP ${httpStatus} without a SOAP envelope`);
  const { version, body: soap } = soapBody(root);
  const fault = child(soap, root.ns, 'Fault');
  if (fault) {
    const code = faultCodeOf(readFault(fault, version).code);
    throw new UpiError('soap_fault', `SOAP ${version} fault ${code}`, { providerCode: code });
  }
  if (httpStatus !== 200) throw malformed(`HTTP ${httpStatus} with a SOAP body that is not a fault`);

  const response = child(soap, E, 'response');
  if (!response) throw malformed('SOAP body without an eCH-0214 response');
  const header = child(response, E, 'header');
  const responseMessageId = child(header, H, 'messageId')?.text;
  if (!responseMessageId) throw malformed('response header without messageId');
  const reference = child(header, H, 'referenceMessageId')?.text;
  if (reference !== undefined && reference !== expected.messageId) {
    throw new UpiError('response_mismatch', 'referenceMessageId is not the messageId of the request');
  }

  const negative = child(response, E, 'negativeReport');
  if (negative) {
    const code = noticeCode(child(negative, C, 'notice'));
    throw new UpiError('rejected', `negativeReport ${code}`, { providerCode: String(code) });
  }
  const positive = child(response, E, 'positiveResponse');
  if (!positive) throw malformed('response with neither positiveResponse nor negativeReport');
  const answers = childrenOf(positive, E, 'getInfoPersonResponse');
  if (answers.length !== 1) throw malformed(`expected one getInfoPersonResponse, got ${answers.length}`);
  const answer = answers[0]!;
  if (child(answer, E, 'getInfoPersonRequestId')?.text !== '1') throw new UpiError('response_mismatch', 'getInfoPersonRequestId is not the one of the request');

  const negativeOnPerson = child(answer, E, 'negativReportOnGetInfoPerson');
  if (negativeOnPerson) return { state: 'not_found', noticeCode: noticeCode(child(negativeOnPerson, C, 'notice')), responseMessageId };

  const echoed = path(answer, [E, 'echoPidRequest'], [E, 'vn'])?.text;
  if (echoed !== expected.vn) throw new UpiError('response_mismatch', 'the echoed number is not the one asked for');
  const notices = childrenOf(answer, E, 'notice').map(noticeCode);
  const pids = child(answer, E, 'pids');
  if (!pids) throw malformed('getInfoPersonResponse without pids');
  const current = child(pids, C, 'vn')?.text;
  if (current === undefined) return { state: 'cancelled', notices, responseMessageId };
  if (current !== expected.vn) return { state: 'inactive', notices, responseMessageId };
  return { state: 'active', person: personOf(child(answer, E, 'personFromUPI')), notices, responseMessageId };
}
