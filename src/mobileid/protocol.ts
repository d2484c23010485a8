/**
 * Request bodies of the Mobile ID REST API (reference guide 3.2–3.5, openapi-mobileid.yaml),
 * shaped exactly like the recorded Postman requests: same keys, same string-typed versions.
 *
 * Builders are pure: AP_TransID and Instant come in from the caller (see
 * `createApTransIdGenerator` and `formatInstant`), so every body can be asserted in a test.
 */
import { randomBytes } from 'node:crypto';

import { assertDtbd, USER_LANGS, type UserLang } from './dtbd.js';
import { localError } from './errors.js';
import { toMsisdn } from './msisdn.js';

/** REST paths relative to the base URL (section 2.2.2). */
export const MSS_PATHS = {
  signature: '/rest/service/sign',
  status: '/rest/service/status',
  receipt: '/rest/service/receipt',
  profile: '/rest/service/profile',
} as const;

/** Internet base URL (section 2.2); the paths above are appended to it. */
export const DEFAULT_BASE_URL = 'https://mobileid.swisscom.com';

export const MSSP_ID_URI = 'http://mid.swisscom.ch/';
export const ADDITIONAL_SERVICE = {
  userLang: 'http://mss.ficom.fi/TS102204/v1.0.0#userLang',
  geofencing: 'http://mid.swisscom.ch/as#geofencing',
  app2app: 'http://mid.swisscom.ch/as#app2app',
  subscriberInfo: 'http://mid.swisscom.ch/as#subscriberInfo',
} as const;

/** Signature profiles of section 3.2.1 (the deprecated AuthProfile1 maps to STK-LoA4 by default). */
export const SIGNATURE_PROFILES = {
  any: 'http://mid.swisscom.ch/Any-LoA4',
  sim: 'http://mid.swisscom.ch/STK-LoA4',
  app: 'http://mid.swisscom.ch/Device-LoA4',
  anyGeofencing: 'http://mid.swisscom.ch/Any-Geofencing-LoA4',
  authProfile1: 'http://mid.swisscom.ch/MID/v1/AuthProfile1',
} as const;

/** Profile Query extension parameters (3.5.1.1): ask for everything. */
export const PROFILE_QUERY_PARAMS = 'sscds state certs pinstatus rcstatus aastatus carddetails';
export const RECEIPT_PROFILE_URI = 'http://mss.swisscom.ch/synch';

/** Transaction timeout (TimeOut, seconds) from section 4.3: 80 for the SIM, 40 for the App. */
export const TRANSACTION_TIMEOUT_SECONDS = { sim: 80, app: 40 } as const;

// ---------------------------------------------------------------------------------------------
// Wire types (what goes over HTTP)
// ---------------------------------------------------------------------------------------------

export interface ApInfoWire {
  AP_ID: string;
  AP_PWD: string;
  Instant: string;
  AP_TransID: string;
}

export interface MsspInfoWire {
  MSSP_ID: { URI: string };
}

export interface AdditionalServiceWire {
  Description: string;
  UserLang?: { Value: UserLang };
  App2App?: { RedirectUri: string };
}

export interface SignatureRequestWire {
  MSS_SignatureReq: {
    MajorVersion: '1';
    MinorVersion: '2';
    AP_Info: ApInfoWire;
    MSSP_Info: MsspInfoWire;
    MobileUser: { MSISDN: string };
    MessagingMode: 'asynch' | 'synch';
    DataToBeSigned: { MimeType: 'text/plain'; Encoding: 'UTF-8'; Data: string };
    TimeOut: string;
    SignatureProfile: string;
    AdditionalServices: AdditionalServiceWire[];
  };
}

export interface StatusRequestWire {
  MSS_StatusReq: {
    MajorVersion: '1';
    MinorVersion: '1';
    AP_Info: ApInfoWire;
    MSSP_Info: MsspInfoWire;
    MSSP_TransID: string;
  };
}

export interface ReceiptRequestWire {
  MSS_ReceiptReq: {
    MajorVersion: '1';
    MinorVersion: '1';
    AP_Info: ApInfoWire;
    MSSP_Info: MsspInfoWire;
    MSSP_TransID: string;
    MobileUser: { MSISDN: string };
    Status?: {
      StatusCode: { Value: '100' };
      StatusDetail: {
        ReceiptRequestExtension: {
          ReceiptMessagingMode: 'synch';
          UserAck: 'true';
          ReceiptProfile: { Language: UserLang; ReceiptProfileURI: string };
        };
      };
    };
    Message: { MimeType: 'text/plain'; Encoding: 'UTF-8'; Data: string };
  };
}

export interface ProfileRequestWire {
  MSS_ProfileReq: {
    MajorVersion: '2';
    MinorVersion: '0';
    AP_Info: ApInfoWire;
    MSSP_Info: MsspInfoWire;
    MobileUser: { MSISDN: string };
    Params: string;
  };
}

// ---------------------------------------------------------------------------------------------
// AP_TransID and Instant
// ---------------------------------------------------------------------------------------------

/** xsd:NCName as far as we produce it: an ASCII letter or `_`, then letters, digits, `.`, `-`, `_`. */
const NCNAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

export function isNcName(value: string): boolean {
  return NCNAME.test(value);
}

/** 64 random bits per AP_TransID. */
const RANDOM_BYTES = 8;

/**
 * A generator of unique AP_TransIDs (xsd:NCName, starts with a letter).
 *
 * `<prefix><time base36>.<counter base36>.<64 random bits hex>`: the counter makes it unique in
 * this process, the random part across instances, so the AP_ID/AP_TransID/Instant triplet
 * never repeats (4.1.1 item 3).
 */
export function createApTransIdGenerator(prefix = 'SCL', random: (n: number) => Buffer = randomBytes): () => string {
  if (!/^[A-Za-z][A-Za-z0-9]{0,15}$/.test(prefix)) {
    throw localError('invalid_request', 500, 'AP_TransID prefix must start with a letter and hold at most 16 letters/digits');
  }
  let counter = 0;
  // The random parts of 512 ids are drawn at once: a call into the CSPRNG per id took ~10 µs, a
  // tenth of what the rest of a status query costs (thousands a second while logins are polled).
  let pool: Buffer = Buffer.alloc(0);
  let used = 0;
  return () => {
    counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
    if (used + RANDOM_BYTES > pool.length) {
      pool = random(RANDOM_BYTES * 512);
      used = 0;
    }
    used += RANDOM_BYTES;
    return `${prefix}${Date.now().toString(36)}.${counter.toString(36)}.${pool.toString('hex', used - RANDOM_BYTES, used)}`;
  };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * xs:dateTime with milliseconds and an explicit offset, e.g. `2024-07-02T10:04:25.372+02:00`.
 * `offsetMinutes` is east of UTC; by default the host's offset at that instant.
 */
export function formatInstant(date: Date, offsetMinutes: number = -date.getTimezoneOffset()): string {
  if (Number.isNaN(date.getTime())) throw localError('invalid_request', 500, 'Instant is not a valid date');
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${pad(local.getUTCMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

/** Who we are and which transaction this body belongs to. */
export interface RequestHeader {
  apId: string;
  /** AP_PWD; Swisscom authenticates by client certificate, the recordings send `not-used`. */
  apPassword: string;
  apTransId: string;
  /** From `formatInstant`. */
  instant: string;
}

function apInfo(h: RequestHeader): ApInfoWire {
  if (h.apId.trim() === '') throw localError('invalid_request', 500, 'AP_ID is empty');
  if (!isNcName(h.apTransId)) throw localError('invalid_request', 500, 'AP_TransID must be an NCName');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(h.instant)) {
    throw localError('invalid_request', 500, 'Instant must be an xs:dateTime with time zone');
  }
  return { AP_ID: h.apId, AP_PWD: h.apPassword, Instant: h.instant, AP_TransID: h.apTransId };
}

const msspInfo = (): MsspInfoWire => ({ MSSP_ID: { URI: MSSP_ID_URI } });

function userLang(value: string): UserLang {
  if (!(USER_LANGS as readonly string[]).includes(value)) {
    throw localError('invalid_request', 500, 'UserLang must be one of EN, DE, FR, IT');
  }
  return value as UserLang;
}

function msspTransId(value: string): string {
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(value)) throw localError('invalid_request', 400, 'MSSP_TransID is not a transaction id');
  return value;
}

export interface SignatureParams {
  /** Any accepted phone number form; normalised (and refused) here. */
  msisdn: string;
  /** The exact DataToBeDisplayed; the CMS must later contain exactly this text. */
  dtbd: string;
  userLang: UserLang;
  signatureProfile: string;
  /** TimeOut in seconds; default 40 for the App profile, otherwise 80 (4.3). */
  timeoutSeconds?: number;
  /** Request the geofencing additional service (3.2.4.2). */
  geofencing?: boolean;
  /** App2App redirect (3.2.4.3); async only. */
  app2appRedirectUri?: string;
  /** Default `asynch`: we poll with MSS Status Query. */
  messagingMode?: 'asynch' | 'synch';
}

/** MSS Signature request (3.2.3.1). */
export function buildSignatureRequest(header: RequestHeader, p: SignatureParams): SignatureRequestWire {
  const mode = p.messagingMode ?? 'asynch';
  const defaultTimeout = p.signatureProfile === SIGNATURE_PROFILES.app ? TRANSACTION_TIMEOUT_SECONDS.app : TRANSACTION_TIMEOUT_SECONDS.sim;
  const timeout = p.timeoutSeconds ?? defaultTimeout;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 300) {
    throw localError('invalid_request', 500, 'TimeOut must be 1 to 300 seconds');
  }
  if (p.signatureProfile.trim() === '') throw localError('invalid_request', 500, 'SignatureProfile is empty');
  if (p.app2appRedirectUri !== undefined && mode !== 'asynch') {
    throw localError('invalid_request', 500, 'App2App needs the asynchronous mode');
  }
  assertDtbd(p.dtbd);
  const services: AdditionalServiceWire[] = [];
  if (p.geofencing) services.push({ Description: ADDITIONAL_SERVICE.geofencing });
  services.push({ Description: ADDITIONAL_SERVICE.userLang, UserLang: { Value: userLang(p.userLang) } });
  if (p.app2appRedirectUri !== undefined) {
    services.push({ Description: ADDITIONAL_SERVICE.app2app, App2App: { RedirectUri: p.app2appRedirectUri } });
  }
  return {
    MSS_SignatureReq: {
      MajorVersion: '1',
      MinorVersion: '2',
      AP_Info: apInfo(header),
      MSSP_Info: msspInfo(),
      MobileUser: { MSISDN: toMsisdn(p.msisdn) },
      MessagingMode: mode,
      DataToBeSigned: { MimeType: 'text/plain', Encoding: 'UTF-8', Data: p.dtbd },
      TimeOut: String(timeout),
      SignatureProfile: p.signatureProfile,
      AdditionalServices: services,
    },
  };
}

/** MSS Status Query request (3.3.1); MSSP_TransID sits inside MSS_StatusReq as in the openapi. */
export function buildStatusRequest(header: RequestHeader, transId: string): StatusRequestWire {
  return {
    MSS_StatusReq: {
      MajorVersion: '1',
      MinorVersion: '1',
      AP_Info: apInfo(header),
      MSSP_Info: msspInfo(),
      MSSP_TransID: msspTransId(transId),
    },
  };
}

export interface ReceiptParams {
  msspTransId: string;
  msisdn: string;
  message: string;
  userLang: UserLang;
  /** Ask for the user's OK/CANCEL (ReceiptRequestExtension); SIM method only (3.4.1.1). */
  userAck?: boolean;
}

/** MSS Receipt request (3.4.1.1). */
export function buildReceiptRequest(header: RequestHeader, p: ReceiptParams): ReceiptRequestWire {
  assertDtbd(p.message);
  const lang = userLang(p.userLang);
  return {
    MSS_ReceiptReq: {
      MajorVersion: '1',
      MinorVersion: '1',
      AP_Info: apInfo(header),
      MSSP_Info: msspInfo(),
      MSSP_TransID: msspTransId(p.msspTransId),
      MobileUser: { MSISDN: toMsisdn(p.msisdn) },
      ...(p.userAck
        ? {
            Status: {
              StatusCode: { Value: '100' as const },
              StatusDetail: {
                ReceiptRequestExtension: {
                  ReceiptMessagingMode: 'synch' as const,
                  UserAck: 'true' as const,
                  ReceiptProfile: { Language: lang, ReceiptProfileURI: RECEIPT_PROFILE_URI },
                },
              },
            },
          }
        : {}),
      Message: { MimeType: 'text/plain', Encoding: 'UTF-8', Data: p.message },
    },
  };
}

/** MSS Profile Query request (3.5.1); versions 2.0 as the guide requires. */
export function buildProfileRequest(header: RequestHeader, msisdn: string, params: string = PROFILE_QUERY_PARAMS): ProfileRequestWire {
  return {
    MSS_ProfileReq: {
      MajorVersion: '2',
      MinorVersion: '0',
      AP_Info: apInfo(header),
      MSSP_Info: msspInfo(),
      MobileUser: { MSISDN: toMsisdn(msisdn) },
      Params: params,
    },
  };
}
