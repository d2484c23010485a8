/**
 * Pure parsing and validation of SRS answers (no I/O): token, method catalogue, start of an
 * identification, identification status, RAS verify call; and of the identity data an
 * identification partner returns. Each `process*` gets the HTTP status and the parsed JSON.
 */
import { SrsError } from './errors.js';
import { currentStatus, parseStatus, type SrsStatus } from './statuses.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

function malformed(operation: string, detail: string): SrsError {
  return new SrsError({ code: 'malformed_response', detail: `${operation}: ${detail}` });
}

/** An HTTP failure of SRS as an SrsError (never includes the response body). */
export function httpFailure(operation: string, httpStatus: number): SrsError {
  const detail = `${operation}: HTTP ${httpStatus}`;
  if (httpStatus === 401 || httpStatus === 403) return new SrsError({ code: 'unauthorized', detail, httpStatus });
  if (httpStatus === 404) return new SrsError({ code: 'not_found', detail, httpStatus });
  if (httpStatus === 408 || httpStatus === 429 || httpStatus >= 500) return new SrsError({ code: 'unavailable', detail, httpStatus });
  return new SrsError({ code: 'rejected', detail, httpStatus });
}

export interface TokenResult {
  accessToken: string;
  /** Seconds; 300 when the server does not say. */
  expiresIn: number;
}

export function processTokenResponse(httpStatus: number, json: unknown): TokenResult {
  if (httpStatus === 400 || httpStatus === 401) throw new SrsError({ code: 'unauthorized', detail: `token: HTTP ${httpStatus}`, httpStatus });
  if (httpStatus !== 200) throw httpFailure('token', httpStatus);
  if (!isObject(json)) throw malformed('token', 'not a JSON object');
  const accessToken = str(json.access_token);
  if (!accessToken) throw malformed('token', 'no access_token');
  const type = str(json.token_type);
  if (type && type.toLowerCase() !== 'bearer') throw malformed('token', `token_type ${type}`);
  const expires = Number(json.expires_in);
  return { accessToken, expiresIn: Number.isFinite(expires) && expires > 0 ? expires : 300 };
}

/** One identification method of the catalogue (GET /api/providers). */
export interface CatalogueEntry {
  loa: number;
  issuer: string;
  webflow: boolean;
  /** Split from the comma-separated `jurisdiction`, upper case. */
  jurisdictions: string[];
  realtimeMethods: string[];
  offline: boolean;
  identificationData: string[];
  additionalData: string[];
  defaultLocale: string | undefined;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function processCatalogueResponse(httpStatus: number, json: unknown): CatalogueEntry[] {
  if (httpStatus === 204) return [];
  if (httpStatus !== 200) throw httpFailure('catalogue', httpStatus);
  if (!Array.isArray(json)) throw malformed('catalogue', 'not a JSON array');
  const entries: CatalogueEntry[] = [];
  for (const item of json) {
    if (!isObject(item)) continue;
    const loa = Number(item.loa);
    const issuer = str(item.issuer);
    if (!Number.isInteger(loa) || !issuer) continue; // an entry we cannot use is skipped, not fatal
    entries.push({
      loa,
      issuer,
      webflow: item.webflow === true,
      jurisdictions: (str(item.jurisdiction) ?? '').split(',').map((j) => j.trim().toUpperCase()).filter(Boolean),
      realtimeMethods: strings(item.realtimeMethods),
      offline: item.offline === true,
      identificationData: strings(item.identificationData),
      additionalData: strings(item.additionalData),
      defaultLocale: str(item.defaultLocale),
    });
  }
  return entries;
}

export interface StartResult {
  refId: string;
  targetUrl: string;
}

/**
 * The start call's answer. The partner's page must be https; http only when SRS itself is reached
 * over http (the sandbox), `allowHttp`.
 */
export function processStartResponse(httpStatus: number, json: unknown, opts: { allowHttp?: boolean } = {}): StartResult {
  if (httpStatus !== 200 && httpStatus !== 201) {
    throw httpFailure('start', httpStatus);
  }
  if (!isObject(json)) throw malformed('start', 'not a JSON object');
  const error = str(json.error);
  if (error) throw new SrsError({ code: 'rejected', detail: `start: SRS error (${error.slice(0, 80)})`, httpStatus });
  const refId = str(json.refId);
  if (!refId || !/^[\w.-]{1,64}$/.test(refId)) throw malformed('start', 'no usable refId');
  const target = str(json.targetURL) ?? str(json.targetUrl);
  if (!target) throw malformed('start', 'no targetURL');
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw malformed('start', 'targetURL is not a URL');
  }
  if (url.protocol !== 'https:' && !(opts.allowHttp && url.protocol === 'http:')) {
    throw malformed('start', opts.allowHttp ? 'targetURL is not http(s)' : 'targetURL is not https');
  }
  return { refId, targetUrl: url.toString() };
}

/** Identity data an identification partner proved (status response or callback JWT). */
export interface ProvenIdentity {
  givenNames: string;
  familyName: string;
  /** YYYY-MM-DD */
  birthDate: string;
  /** ISO 3166-1 alpha-2, upper case. */
  nationality?: string | undefined;
}

/**
 * The `identificationData` object (fields named as in the start request: firstName, lastName,
 * dob, nationality). Undefined when absent or incomplete.
 */
export function parseIdentificationData(value: unknown): ProvenIdentity | undefined {
  if (!isObject(value)) return undefined;
  const givenNames = str(value.firstName);
  const familyName = str(value.lastName);
  const dob = str(value.dob) ?? str(value.dateOfBirth);
  const birthDate = dob && /^\d{4}-\d{2}-\d{2}/.test(dob) ? dob.slice(0, 10) : undefined;
  if (!givenNames || !familyName || !birthDate) return undefined;
  const nationality = str(value.nationality)?.toUpperCase();
  return { givenNames, familyName, birthDate, ...(nationality && /^[A-Z]{2}$/.test(nationality) ? { nationality } : {}) };
}

export interface StatusEntry {
  status: SrsStatus;
  date: string | undefined;
  reason: string | undefined;
}

export interface IdentificationStatus {
  refId: string;
  orderId: string | undefined;
  /** The identification partner. */
  issuer: string | undefined;
  method: string | undefined;
  mobile: string | undefined;
  evidenceId: string | undefined;
  history: StatusEntry[];
  /** Status names in the history we do not know (logged, otherwise ignored). */
  unknown: string[];
  current: SrsStatus | undefined;
  identity: ProvenIdentity | undefined;
}

export function processIdentificationResponse(httpStatus: number, json: unknown, expectedRefId: string): IdentificationStatus {
  if (httpStatus !== 200) throw httpFailure('status', httpStatus);
  if (!isObject(json)) throw malformed('status', 'not a JSON object');
  const refId = str(json.refId);
  if (refId !== expectedRefId) throw malformed('status', 'refId of another identification');
  if (!Array.isArray(json.statuses)) throw malformed('status', 'no statuses');
  const history: StatusEntry[] = [];
  const unknown: string[] = [];
  for (const item of json.statuses) {
    if (!isObject(item)) continue;
    const status = parseStatus(item.status);
    if (!status) {
      unknown.push(String(item.status).slice(0, 64));
      continue;
    }
    history.push({ status, date: str(item.date), reason: str(item.reason) });
  }
  return {
    refId,
    orderId: str(json.orderId),
    issuer: str(json.issuer),
    method: str(json.method),
    mobile: str(json.mobile),
    evidenceId: str(json.evidenceId),
    history,
    unknown,
    current: currentStatus(history),
    identity: parseIdentificationData(json.identificationData),
  };
}

export type VerifyResult =
  | { verified: true; evidenceId: string; vetterMsisdn: string | undefined; serialNumber: string | undefined }
  | { verified: false; httpStatus: number };

/**
 * The verify call's answer: evidence found (evidenceId, vetterMsisdn, serialNumber), or not
 * (404, or 200 without an evidenceId). 5xx and 401/403 are errors.
 */
export function processVerifyResponse(httpStatus: number, json: unknown): VerifyResult {
  if (httpStatus === 404 || httpStatus === 400 || httpStatus === 409 || httpStatus === 422) return { verified: false, httpStatus };
  if (httpStatus !== 200) throw httpFailure('verify', httpStatus);
  if (!isObject(json)) throw malformed('verify', 'not a JSON object');
  const evidenceId = str(json.evidenceId);
  if (!evidenceId) return { verified: false, httpStatus };
  return { verified: true, evidenceId, vetterMsisdn: str(json.vetterMsisdn), serialNumber: str(json.serialNumber) };
}
