/**
 * Pure processing of Mobile ID REST responses: `process*Response(httpStatus, json)`.
 *
 * Each function validates the body, turns a Fault envelope (normally HTTP 500, section 3.1.2)
 * into a MobileIdError that keeps the provider's numeric code, and returns a small typed result.
 * Anything unexpected throws MobileIdError `malformed_response`; nothing here crashes on input.
 */
import { z } from 'zod';

import { localError, malformed, MobileIdError } from './errors.js';
import { mssCodeInfo } from './faults.js';
import { maskMsisdn, redactPhoneNumbers } from './msisdn.js';

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

/** Location data of the geofencing additional service (3.2.4.2), or why there is none. */
export type GeofencingData =
  | {
      kind: 'location';
      /** ISO 3166-1 alpha-2, upper case. */
      country: string;
      accuracyMeters: number;
      deviceConfidence: number;
      locationConfidence: number;
      /** As sent, e.g. `2024-07-02T08:53:10.537+02:00`. */
      timestamp: string;
    }
  | { kind: 'error'; errorCode: number; errorMessage: string }
  /** A geofencing block we cannot read; treated like missing location (fail closed). */
  | { kind: 'unreadable'; reason: string };

export interface SubscriberInfoDetail {
  id: string;
  value: string;
}

/** Async MSS Signature accepted (status 100): poll with the MSSP_TransID. */
export interface SignatureAccepted {
  state: 'accepted';
  statusCode: 100;
  msspTransId: string;
  apTransId: string;
  msisdn: string | undefined;
  signatureProfile: string | undefined;
  app2appAuthUri: string | undefined;
}

/** A finished signature (status 500 SIGNATURE or 502 VALID_SIGNATURE); verify the CMS next. */
export interface SignatureCompleted {
  state: 'signed';
  statusCode: 500 | 502;
  apTransId: string;
  msspTransId: string | undefined;
  msisdn: string;
  base64Signature: string;
  /** Signature profile used; the status response does not repeat it (3.3.2). */
  signatureProfile: string | undefined;
  geofencing: GeofencingData | undefined;
  subscriberInfo: SubscriberInfoDetail[] | undefined;
  app2appAuthUri: string | undefined;
}

/** Status 504: the user has not answered yet. */
export interface StatusOutstanding {
  state: 'outstanding';
  statusCode: 504;
  apTransId: string;
  msisdn: string | undefined;
}

export type SignatureResult = SignatureAccepted | SignatureCompleted;
export type StatusResult = StatusOutstanding | SignatureCompleted;

export interface ReceiptResult {
  statusCode: 100;
  apTransId: string;
  /** From the ReceiptResponseExtension when a user acknowledgement was requested. */
  userAck: boolean | undefined;
  clientAck: boolean | undefined;
  networkAck: boolean | undefined;
  /** `OK`, `CANCEL` or `TIMEOUT` (3.4.1.2), when the user answered. */
  userResponse: string | undefined;
}

export interface MobileUserCertificateInfo {
  algorithm: string | undefined;
  state: string | undefined;
  /** Base64 DER, user certificate first. */
  certificates: string[];
  subjectNames: string[];
  /** Mobile ID serial number from the user's subject name, upper case (e.g. MIDCHEO16P1O6E92). */
  mobileIdSerial: string | undefined;
}

export interface SscdInfo {
  type: 'sim' | 'app';
  state: string | undefined;
  active: boolean;
  pinBlocked: boolean | undefined;
  certificates: MobileUserCertificateInfo[];
  cardDetails: { mcc: string | undefined; mnc: string | undefined; network: string | undefined } | undefined;
}

export interface ProfileResult {
  statusCode: 100;
  apTransId: string;
  signatureProfiles: string[];
  autoActivation: boolean | undefined;
  recoveryCodeCreated: boolean | undefined;
  sscds: SscdInfo[];
  /** The Mobile ID methods in state ACTIVE. */
  activeMethods: ('sim' | 'app')[];
}

/** What the response must echo (4.1.2 item 1). */
export interface ExpectedEcho {
  apTransId?: string;
  msisdn?: string;
}

// ---------------------------------------------------------------------------------------------
// Schemas (only what we read; unknown keys are ignored)
// ---------------------------------------------------------------------------------------------

const str = z.string();
const numericString = z.union([z.string(), z.number()]).transform((v) => String(v).trim());
const boolish = z.union([z.boolean(), z.enum(['true', 'false'])]).transform((v) => v === true || v === 'true');
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item)]).transform((v): z.output<T>[] => (Array.isArray(v) ? v : [v]));

const apInfoSchema = z.object({ AP_ID: str.optional(), AP_TransID: str, Instant: str.optional() });
const mobileUserSchema = z
  .union([z.object({ MSISDN: numericString }), numericString])
  .transform((v) => (typeof v === 'string' ? v : v.MSISDN));
const statusSchema = z.object({
  StatusCode: z.object({ Value: numericString }),
  StatusMessage: str.optional(),
});

/** Additional service answers are read leniently: a bad block must not hide a good signature. */
const serviceResponseSchema = z.object({
  Geofencing: z.unknown().optional(),
  App2App: z.unknown().optional(),
  SubscriberInfo: z.unknown().optional(),
});

const signatureRespSchema = z.object({
  AP_Info: apInfoSchema,
  MSSP_TransID: str.optional(),
  MobileUser: mobileUserSchema.optional(),
  MSS_Signature: z.object({ Base64Signature: str }).optional(),
  SignatureProfile: str.optional(),
  ServiceResponses: z.array(serviceResponseSchema).optional(),
  Status: statusSchema,
});

const receiptRespSchema = z.object({
  AP_Info: apInfoSchema,
  Status: statusSchema.extend({
    StatusDetail: z
      .object({
        ReceiptResponseExtension: z
          .object({
            UserAck: boolish.optional(),
            ClientAck: boolish.optional(),
            NetworkAck: boolish.optional(),
            UserResponse: str.optional(),
          })
          .optional(),
      })
      .optional(),
  }),
});

const certificateSchema = z.object({
  Algorithm: str.optional(),
  State: str.optional(),
  X509Certificate: oneOrMany(str).optional(),
  X509SubjectName: oneOrMany(str).optional(),
});
const sscdSchema = z.object({
  State: str.optional(),
  PinStatus: z.object({ Blocked: boolish.optional() }).optional(),
  MobileUserCertificate: oneOrMany(certificateSchema).optional(),
  CardDetails: z.object({ Mcc: numericString.optional(), Mnc: numericString.optional(), Network: str.optional() }).optional(),
});
const profileRespSchema = z.object({
  AP_Info: apInfoSchema,
  SignatureProfile: oneOrMany(str).optional(),
  Status: statusSchema.extend({
    StatusDetail: z
      .object({
        ProfileQueryExtension: z
          .object({
            MobileUser: z.object({ AutoActivation: boolish.optional(), RecoveryCodeCreated: boolish.optional() }).optional(),
            Sscds: z.object({ Sim: oneOrMany(sscdSchema).optional(), App: oneOrMany(sscdSchema).optional() }).optional(),
          })
          .optional(),
      })
      .optional(),
  }),
});

const faultSchema = z.object({
  Fault: z.object({
    Code: z.object({
      Value: str.optional(),
      SubCode: z.object({ Value: str }),
    }),
    Reason: str.optional(),
    Detail: z.union([str, z.array(str)]).optional(),
  }),
});

// ---------------------------------------------------------------------------------------------
// Shared steps
// ---------------------------------------------------------------------------------------------

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isScalar = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';

/** Turn a Fault envelope into the MobileIdError of its sub-code. */
export function faultToError(json: unknown): MobileIdError {
  const parsed = faultSchema.safeParse(json);
  if (!parsed.success) return malformed(`unreadable Fault envelope: ${describeIssues(parsed.error)}`);
  const f = parsed.data.Fault;
  const match = /_(\d{3})$/.exec(f.Code.SubCode.Value.trim());
  if (!match?.[1]) return malformed('Fault sub-code is not of the form _<number>');
  const providerCode = Number(match[1]);
  const reason = f.Reason ?? '';
  const role = f.Code.Value;
  const providerDetail = redactPhoneNumbers(Array.isArray(f.Detail) ? f.Detail.join(' / ') : (f.Detail ?? '')).slice(0, 300);
  const detail = `MSS fault ${providerCode} ${reason}${role ? ` (${role})` : ''}${providerDetail ? `: ${providerDetail}` : ''}`;
  const info = mssCodeInfo(providerCode);
  const common = { providerCode, providerReason: reason, detail, params: { code: providerCode }, ...(role ? { faultRole: role } : {}) };
  if (!info?.errorCode) {
    return new MobileIdError({ code: 'unknown_fault', status: 502, messageKey: 'mobileid.error.unknown_fault', ...common });
  }
  return new MobileIdError({
    code: info.errorCode,
    status: info.httpStatus,
    messageKey: info.messageKey,
    transient: providerCode === 900,
    ...common,
  });
}

/** A status code that means failure (501, 503) → its MobileIdError. */
function statusFailure(code: number, message: string | undefined): MobileIdError | undefined {
  const info = mssCodeInfo(code);
  if (info?.kind !== 'status' || !info.errorCode) return undefined;
  return new MobileIdError({
    code: info.errorCode,
    status: info.httpStatus,
    messageKey: info.messageKey,
    providerCode: code,
    providerReason: message ?? info.name,
    detail: `MSS status ${code} ${message ?? info.name}`,
    params: { code },
  });
}

/** Faults, HTTP errors and the root element; returns the inner object. */
function unwrap(httpStatus: number, json: unknown, root: string): unknown {
  if (isRecord(json) && 'Fault' in json) throw faultToError(json);
  if (httpStatus !== 200) {
    if (httpStatus === 502 || httpStatus === 503 || httpStatus === 504) {
      throw localError('unavailable', 503, `MSSP answered HTTP ${httpStatus} without a Fault`, { transient: true });
    }
    throw malformed(`HTTP ${httpStatus} without a Fault envelope`);
  }
  if (!isRecord(json) || !isRecord(json[root])) throw malformed(`expected a ${root} object`);
  return json[root];
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

function parse<T extends z.ZodType>(schema: T, value: unknown, root: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw malformed(`${root}: ${describeIssues(r.error)}`);
  return r.data;
}

function statusCodeOf(value: string): number {
  if (!/^\d{3}$/.test(value)) throw malformed('StatusCode is not a three digit number');
  return Number(value);
}

const digitsOf = (msisdn: string): string => msisdn.replace(/\D/g, '');

function checkEcho(root: string, apTransId: string, msisdn: string | undefined, expected: ExpectedEcho | undefined): void {
  if (!expected) return;
  if (expected.apTransId !== undefined && apTransId !== expected.apTransId) {
    throw localError('response_mismatch', 502, `${root}: AP_TransID does not match the request`);
  }
  if (expected.msisdn !== undefined && msisdn !== undefined && digitsOf(msisdn) !== digitsOf(expected.msisdn)) {
    const detail = `${root}: MSISDN ${maskMsisdn(msisdn)} does not match the request ${maskMsisdn(expected.msisdn)}`;
    throw localError('response_mismatch', 502, detail);
  }
}

function finiteNumber(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  if (typeof value === 'string' && value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Read the Geofencing block; ErrorCode wins over location data (openapi: error if present). */
export function readGeofencing(raw: Record<string, unknown>): GeofencingData {
  if (raw['ErrorCode'] !== undefined) {
    const errorCode = finiteNumber(raw['ErrorCode']);
    if (errorCode === undefined || !Number.isInteger(errorCode)) return { kind: 'unreadable', reason: 'ErrorCode is not a number' };
    const message = raw['ErrorMessage'];
    return { kind: 'error', errorCode, errorMessage: typeof message === 'string' ? message.slice(0, 200) : '' };
  }
  const country = raw['Country'];
  const accuracyMeters = finiteNumber(raw['Accuracy']);
  const deviceConfidence = finiteNumber(raw['DeviceConfidence']);
  const locationConfidence = finiteNumber(raw['LocationConfidence']);
  const timestamp = raw['Timestamp'];
  if (typeof country !== 'string' || !/^[A-Za-z]{2}$/.test(country)) {
    return { kind: 'unreadable', reason: 'Country is not ISO 3166-1 alpha-2' };
  }
  if (accuracyMeters === undefined || deviceConfidence === undefined || locationConfidence === undefined) {
    return { kind: 'unreadable', reason: 'Accuracy or a confidence score is not a number' };
  }
  if (typeof timestamp !== 'string' || Number.isNaN(Date.parse(timestamp))) {
    return { kind: 'unreadable', reason: 'Timestamp is not a date' };
  }
  return { kind: 'location', country: country.toUpperCase(), accuracyMeters, deviceConfidence, locationConfidence, timestamp };
}

type ServiceResponses = z.output<typeof serviceResponseSchema>[] | undefined;

function serviceData(responses: ServiceResponses): Pick<SignatureCompleted, 'geofencing' | 'subscriberInfo' | 'app2appAuthUri'> {
  let geofencing: GeofencingData | undefined;
  let subscriberInfo: SubscriberInfoDetail[] | undefined;
  let app2appAuthUri: string | undefined;
  for (const r of responses ?? []) {
    if (r.Geofencing !== undefined && r.Geofencing !== null) {
      geofencing = isRecord(r.Geofencing) ? readGeofencing(r.Geofencing) : { kind: 'unreadable', reason: 'Geofencing is not an object' };
    }
    if (isRecord(r.App2App) && typeof r.App2App['AuthUri'] === 'string') app2appAuthUri = r.App2App['AuthUri'];
    if (isRecord(r.SubscriberInfo) && Array.isArray(r.SubscriberInfo['Details'])) {
      subscriberInfo = r.SubscriberInfo['Details'].flatMap((d: unknown) =>
        isRecord(d) && isScalar(d['id']) && isScalar(d['value']) ? [{ id: String(d['id']), value: String(d['value']) }] : [],
      );
    }
  }
  return { geofencing, subscriberInfo, app2appAuthUri };
}

function completed(
  root: string,
  code: 500 | 502,
  body: z.output<typeof signatureRespSchema>,
): SignatureCompleted {
  const signature = body.MSS_Signature?.Base64Signature.trim();
  if (!signature) throw malformed(`${root}: status ${code} without MSS_Signature.Base64Signature`);
  if (body.MobileUser === undefined) throw malformed(`${root}: status ${code} without MobileUser`);
  return {
    state: 'signed',
    statusCode: code,
    apTransId: body.AP_Info.AP_TransID,
    msspTransId: body.MSSP_TransID,
    msisdn: body.MobileUser,
    base64Signature: signature,
    signatureProfile: body.SignatureProfile,
    ...serviceData(body.ServiceResponses),
  };
}

// ---------------------------------------------------------------------------------------------
// process*Response
// ---------------------------------------------------------------------------------------------

/** MSS Signature response: async → `accepted` (100); sync → `signed` (500/502). */
export function processSignatureResponse(httpStatus: number, json: unknown, expected?: ExpectedEcho): SignatureResult {
  const root = 'MSS_SignatureResp';
  const body = parse(signatureRespSchema, unwrap(httpStatus, json, root), root);
  const code = statusCodeOf(body.Status.StatusCode.Value);
  checkEcho(root, body.AP_Info.AP_TransID, body.MobileUser, expected);
  if (code === 100) {
    if (!body.MSSP_TransID) throw malformed(`${root}: status 100 without MSSP_TransID`);
    return {
      state: 'accepted',
      statusCode: 100,
      msspTransId: body.MSSP_TransID,
      apTransId: body.AP_Info.AP_TransID,
      msisdn: body.MobileUser,
      signatureProfile: body.SignatureProfile,
      app2appAuthUri: serviceData(body.ServiceResponses).app2appAuthUri,
    };
  }
  if (code === 500 || code === 502) return completed(root, code, body);
  throw statusFailure(code, body.Status.StatusMessage) ?? malformed(`${root}: unexpected status ${code}`);
}

/** MSS Status Query response: `outstanding` (504) or `signed` (500/502). */
export function processStatusResponse(httpStatus: number, json: unknown, expected?: ExpectedEcho): StatusResult {
  const root = 'MSS_StatusResp';
  const body = parse(signatureRespSchema, unwrap(httpStatus, json, root), root);
  const code = statusCodeOf(body.Status.StatusCode.Value);
  checkEcho(root, body.AP_Info.AP_TransID, body.MobileUser, expected);
  if (code === 504) return { state: 'outstanding', statusCode: 504, apTransId: body.AP_Info.AP_TransID, msisdn: body.MobileUser };
  if (code === 500 || code === 502) return completed(root, code, body);
  throw statusFailure(code, body.Status.StatusMessage) ?? malformed(`${root}: unexpected status ${code}`);
}

/** MSS Receipt response (100, optionally with the user's answer). */
export function processReceiptResponse(httpStatus: number, json: unknown, expected?: ExpectedEcho): ReceiptResult {
  const root = 'MSS_ReceiptResp';
  const body = parse(receiptRespSchema, unwrap(httpStatus, json, root), root);
  const code = statusCodeOf(body.Status.StatusCode.Value);
  checkEcho(root, body.AP_Info.AP_TransID, undefined, expected);
  if (code !== 100) throw malformed(`${root}: unexpected status ${code}`);
  const ext = body.Status.StatusDetail?.ReceiptResponseExtension;
  return {
    statusCode: 100,
    apTransId: body.AP_Info.AP_TransID,
    userAck: ext?.UserAck,
    clientAck: ext?.ClientAck,
    networkAck: ext?.NetworkAck,
    userResponse: ext?.UserResponse === undefined ? undefined : readUserResponse(ext.UserResponse),
  };
}

/** UserResponse is a JSON string such as `{"status":"OK"}`. */
function readUserResponse(raw: string): string | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    return isRecord(v) && typeof v['status'] === 'string' ? v['status'] : undefined;
  } catch {
    return undefined;
  }
}

/** Upper-case serial number from a subject such as `cn=midche...:pn,serialnumber=midche...`. */
export function mobileIdSerialFromSubject(subject: string): string | undefined {
  const m = /(?:^|[,+]\s*)serialnumber=([^,+]+)/i.exec(subject);
  return m?.[1]?.trim().toUpperCase();
}

function sscd(type: 'sim' | 'app', s: z.output<typeof sscdSchema>): SscdInfo {
  return {
    type,
    state: s.State,
    active: s.State === 'ACTIVE',
    pinBlocked: s.PinStatus?.Blocked,
    certificates: (s.MobileUserCertificate ?? []).map((c) => {
      const subjectNames = c.X509SubjectName ?? [];
      return {
        algorithm: c.Algorithm,
        state: c.State,
        certificates: c.X509Certificate ?? [],
        subjectNames,
        mobileIdSerial: subjectNames[0] === undefined ? undefined : mobileIdSerialFromSubject(subjectNames[0]),
      };
    }),
    cardDetails: s.CardDetails ? { mcc: s.CardDetails.Mcc, mnc: s.CardDetails.Mnc, network: s.CardDetails.Network } : undefined,
  };
}

/** MSS Profile Query response: which methods (SIM/App) are active, certificates, card details. */
export function processProfileResponse(httpStatus: number, json: unknown, expected?: ExpectedEcho): ProfileResult {
  const root = 'MSS_ProfileResp';
  const body = parse(profileRespSchema, unwrap(httpStatus, json, root), root);
  const code = statusCodeOf(body.Status.StatusCode.Value);
  checkEcho(root, body.AP_Info.AP_TransID, undefined, expected);
  if (code !== 100) throw malformed(`${root}: unexpected status ${code}`);
  const ext = body.Status.StatusDetail?.ProfileQueryExtension;
  const sscds = [
    ...(ext?.Sscds?.Sim ?? []).map((s) => sscd('sim', s)),
    ...(ext?.Sscds?.App ?? []).map((s) => sscd('app', s)),
  ];
  const activeMethods = (['sim', 'app'] as const).filter((t) => sscds.some((s) => s.type === t && s.active));
  return {
    statusCode: 100,
    apTransId: body.AP_Info.AP_TransID,
    signatureProfiles: body.SignatureProfile ?? [],
    autoActivation: ext?.MobileUser?.AutoActivation,
    recoveryCodeCreated: ext?.MobileUser?.RecoveryCodeCreated,
    sscds,
    activeMethods,
  };
}
