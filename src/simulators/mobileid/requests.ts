/**
 * Parsing and validation of the four REST requests, in the order the real service reports
 * problems: envelope (102), interface version (108), AP authentication (104), parameters (101/102),
 * DTBD (107/103), signature profile (109), additional services (104/101/102).
 * Every problem is thrown as an MssFault; the result is a typed request.
 */
import {
  AS,
  HEALTH_CHECK_MSISDN,
  INSTANT_TOLERANCE_MS,
  USER_LANGUAGES,
  VERSIONS,
  type UserLang,
} from './constants.js';
import { checkDtbdLength } from './dtbd.js';
import { MssFault } from './faults.js';

export interface ValidationContext {
  /** When set, any other AP_ID is refused with 104. */
  apId: string | undefined;
  /** When set, AP_PWD must match (the real service authenticates by client certificate). */
  apPassword: string | undefined;
  /** When set, every DTBD must start with it (107 otherwise), like the AP's agreed prefix. */
  dtbdPrefix: string | undefined;
  now: () => Date;
}

export interface ApInfo {
  apId: string;
  apTransId: string;
  /** The request's Instant, normalised to UTC as the responses echo it. */
  instant: string;
}

export interface Msisdn {
  /** As the AP sent it; echoed in responses. */
  raw: string;
  /** International digits without '+': the key of the account. */
  digits: string;
}

export interface SignatureRequest {
  ap: ApInfo;
  msisdn: Msisdn;
  mode: 'synch' | 'asynch';
  dtbd: string;
  signatureProfile: string;
  timeoutSeconds: number | undefined;
  userLang: UserLang;
  geofencing: boolean;
  app2appRedirectUri: string | undefined;
}

export interface StatusRequest {
  ap: ApInfo;
  msspTransId: string;
}

export interface ReceiptRequest {
  ap: ApInfo;
  msspTransId: string;
  msisdn: Msisdn;
  message: string;
  /** The optional ReceiptRequestExtension asked for the user's answer (SIM only). */
  userAck: boolean;
  language: string | undefined;
}

export interface ProfileRequest {
  ap: ApInfo;
  msisdn: Msisdn;
  params: Set<string>;
}

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function requireObject(parent: JsonObject, key: string, path: string): JsonObject {
  const v = parent[key];
  if (v === undefined || v === null) throw new MssFault('102', `Missing ${path}`);
  if (!isObject(v)) throw new MssFault('101', `Invalid ${path}`);
  return v;
}

function optionalString(parent: JsonObject, key: string, path: string): string | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new MssFault('101', `Invalid ${path}`);
  return v;
}

function requireString(parent: JsonObject, key: string, path: string): string {
  const v = optionalString(parent, key, path);
  if (v === undefined || v === '') throw new MssFault('102', `Missing ${path}`);
  return v;
}

function envelope(body: unknown, name: string): JsonObject {
  if (!isObject(body)) throw new MssFault('101', 'Invalid request body');
  return requireObject(body, name, name);
}

function checkVersions(req: JsonObject, name: string, allowed: { major: readonly string[]; minor: readonly string[] }): void {
  const major = requireString(req, 'MajorVersion', `${name}.MajorVersion`);
  const minor = requireString(req, 'MinorVersion', `${name}.MinorVersion`);
  if (!allowed.major.includes(major) || !allowed.minor.includes(minor)) {
    throw new MssFault('108');
  }
}

const XS_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** xsd:NCName (AP_TransID type, reference guide footnote 17). */
const NC_NAME = /^[\p{L}_][\p{L}\p{N}_.\-\u00B7]*$/u;

function parseApInfo(req: JsonObject, name: string, ctx: ValidationContext): ApInfo {
  const info = requireObject(req, 'AP_Info', `${name}.AP_Info`);
  const apId = requireString(info, 'AP_ID', 'AP_ID');
  if (ctx.apId !== undefined && apId !== ctx.apId) throw new MssFault('104');
  const apPwd = optionalString(info, 'AP_PWD', 'AP_PWD');
  if (ctx.apPassword !== undefined && apPwd !== ctx.apPassword) throw new MssFault('104');

  const apTransId = requireString(info, 'AP_TransID', 'AP_TransID');
  if (!NC_NAME.test(apTransId)) throw new MssFault('101', 'Illegal AP_TransID');
  const instantRaw = requireString(info, 'Instant', 'Instant');
  const instantMs = XS_DATE_TIME.test(instantRaw) ? Date.parse(instantRaw) : Number.NaN;
  if (Number.isNaN(instantMs)) throw new MssFault('101', 'Illegal Instant');
  if (Math.abs(instantMs - ctx.now().getTime()) > INSTANT_TOLERANCE_MS) {
    throw new MssFault('101', 'Instant is too far from the MSSP time');
  }
  return { apId, apTransId, instant: new Date(instantMs).toISOString() };
}

/** International format, digits only, a leading '+' allowed (reference guide 4.1.1). */
export function parseMsisdn(raw: string): Msisdn {
  const digits = raw.startsWith('+') ? raw.slice(1) : raw;
  if (!/^[1-9]\d{7,14}$/.test(digits) || digits === HEALTH_CHECK_MSISDN) {
    throw new MssFault('101', 'Illegal msisdn');
  }
  return { raw, digits };
}

function parseMobileUser(req: JsonObject, name: string): Msisdn {
  const user = requireObject(req, 'MobileUser', `${name}.MobileUser`);
  return parseMsisdn(requireString(user, 'MSISDN', 'MSISDN'));
}

function checkText(data: JsonObject, path: string, dtbdPrefix: string | undefined): string {
  const text = optionalString(data, 'Data', `${path}.Data`);
  if (text === undefined || text === '') throw new MssFault('102', `Missing ${path}.Data`);
  const mimeType = optionalString(data, 'MimeType', `${path}.MimeType`);
  const encoding = optionalString(data, 'Encoding', `${path}.Encoding`);
  if (mimeType !== undefined && mimeType.toLowerCase() !== 'text/plain') {
    throw new MssFault('107', `Unsupported ${path}.MimeType`);
  }
  if (encoding !== undefined && encoding.toUpperCase() !== 'UTF-8') {
    throw new MssFault('107', `Unsupported ${path}.Encoding`);
  }
  if (dtbdPrefix !== undefined && !text.startsWith(dtbdPrefix)) throw new MssFault('107');
  if (!checkDtbdLength(text).ok) throw new MssFault('103');
  return text;
}

function parseTimeout(req: JsonObject): number | undefined {
  // The guide spells it "TimeOut" (sync example, OpenAPI) and "Timeout" (async example).
  const raw = optionalString(req, 'TimeOut', 'TimeOut') ?? optionalString(req, 'Timeout', 'Timeout');
  if (raw === undefined) return undefined;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1) throw new MssFault('101', 'Illegal TimeOut');
  return Number(raw);
}

interface AdditionalServices {
  userLang: UserLang;
  geofencing: boolean;
  app2appRedirectUri: string | undefined;
}

function parseAdditionalServices(req: JsonObject, mode: 'synch' | 'asynch'): AdditionalServices {
  const list = req['AdditionalServices'];
  if (list === undefined || list === null) throw new MssFault('102', 'Missing UserLang');
  if (!Array.isArray(list)) throw new MssFault('101', 'Invalid AdditionalServices');
  let userLang: UserLang | undefined;
  let geofencing = false;
  let app2appRedirectUri: string | undefined;
  for (const service of list) {
    if (!isObject(service)) throw new MssFault('101', 'Invalid AdditionalServices');
    const description = requireString(service, 'Description', 'AdditionalServices.Description');
    switch (description) {
      case AS.USER_LANG: {
        const lang = isObject(service['UserLang']) ? service['UserLang']['Value'] : undefined;
        if (typeof lang !== 'string' || lang === '') throw new MssFault('102', 'Missing UserLang');
        const upper = lang.toUpperCase();
        if (!(USER_LANGUAGES as readonly string[]).includes(upper)) throw new MssFault('101', 'Illegal UserLang');
        userLang = upper as UserLang;
        break;
      }
      case AS.GEOFENCING:
        geofencing = true;
        break;
      case AS.APP2APP: {
        const uri = isObject(service['App2App']) ? service['App2App']['RedirectUri'] : undefined;
        if (typeof uri !== 'string' || uri === '') throw new MssFault('102', 'Missing App2App.RedirectUri');
        if (mode === 'synch') throw new MssFault('101', 'App2App requires the asynchronous mode');
        app2appRedirectUri = uri;
        break;
      }
      default:
        throw new MssFault('104');
    }
  }
  if (!userLang) throw new MssFault('102', 'Missing UserLang');
  return { userLang, geofencing, app2appRedirectUri };
}

export function parseSignatureRequest(body: unknown, ctx: ValidationContext): SignatureRequest {
  const name = 'MSS_SignatureReq';
  const req = envelope(body, name);
  checkVersions(req, name, VERSIONS.sign);
  const ap = parseApInfo(req, name, ctx);
  const msisdn = parseMobileUser(req, name);
  const modeRaw = requireString(req, 'MessagingMode', 'MessagingMode');
  if (modeRaw !== 'synch' && modeRaw !== 'asynch') throw new MssFault('101', 'Illegal MessagingMode');
  const dtbd = checkText(requireObject(req, 'DataToBeSigned', 'DataToBeSigned'), 'DataToBeSigned', ctx.dtbdPrefix);
  const signatureProfile = requireString(req, 'SignatureProfile', 'SignatureProfile');
  const timeoutSeconds = parseTimeout(req);
  const services = parseAdditionalServices(req, modeRaw);
  return { ap, msisdn, mode: modeRaw, dtbd, signatureProfile, timeoutSeconds, ...services };
}

export function parseStatusRequest(body: unknown, ctx: ValidationContext): StatusRequest {
  const name = 'MSS_StatusReq';
  const req = envelope(body, name);
  checkVersions(req, name, VERSIONS.status);
  const ap = parseApInfo(req, name, ctx);
  return { ap, msspTransId: requireString(req, 'MSSP_TransID', 'MSSP_TransID') };
}

export function parseReceiptRequest(body: unknown, ctx: ValidationContext): ReceiptRequest {
  const name = 'MSS_ReceiptReq';
  const req = envelope(body, name);
  checkVersions(req, name, VERSIONS.receipt);
  const ap = parseApInfo(req, name, ctx);
  const msspTransId = requireString(req, 'MSSP_TransID', 'MSSP_TransID');
  const msisdn = parseMobileUser(req, name);
  // Every text shown on the phone carries the AP's prefix (reference guide 2.1), receipts too.
  const message = checkText(requireObject(req, 'Message', 'Message'), 'Message', ctx.dtbdPrefix);

  let userAck = false;
  let language: string | undefined;
  const status = req['Status'];
  if (status !== undefined && status !== null) {
    if (!isObject(status)) throw new MssFault('101', 'Invalid Status');
    const detail = status['StatusDetail'];
    const extension = isObject(detail) ? detail['ReceiptRequestExtension'] : undefined;
    if (isObject(extension)) {
      const messagingMode = optionalString(extension, 'ReceiptMessagingMode', 'ReceiptMessagingMode');
      if (messagingMode !== undefined && messagingMode !== 'synch') {
        throw new MssFault('101', 'Only synchronous receipts are supported');
      }
      userAck = optionalString(extension, 'UserAck', 'UserAck') === 'true';
      const profile = extension['ReceiptProfile'];
      language = isObject(profile) ? optionalString(profile, 'Language', 'Language') : undefined;
    }
  }
  return { ap, msspTransId, msisdn, message, userAck, language };
}

export function parseProfileRequest(body: unknown, ctx: ValidationContext): ProfileRequest {
  const name = 'MSS_ProfileReq';
  const req = envelope(body, name);
  checkVersions(req, name, VERSIONS.profile);
  const ap = parseApInfo(req, name, ctx);
  const msisdn = parseMobileUser(req, name);
  const params = optionalString(req, 'Params', 'Params') ?? '';
  return { ap, msisdn, params: new Set(params.split(/\s+/).filter(Boolean).map((p) => p.toLowerCase())) };
}
