/**
 * Every status and fault code of the Mobile ID Reference Guide section 6, and the geofencing
 * error codes of section 3.2.4.2.4, with what we tell the user and whether trying again helps.
 *
 * Texts for every `messageKey` live in `messages.json` (en, de, fr, it).
 */
import type { MssFaultErrorCode } from './errors.js';

export type MssOperation = 'signature' | 'status' | 'receipt' | 'profile';

/** What the user can do about an outcome; the login page words it via `messageKey`. */
export type UserAction =
  | 'none'
  | 'wait'
  | 'retry'
  | 'retry_later'
  | 'check_number'
  | 'activate'
  | 'reactivate'
  | 'unblock_pin'
  | 'contact_support'
  | 'contact_service'
  | 'enable_location'
  | 'update_app'
  | 'use_app';

export interface MssCodeInfo {
  code: number;
  /** Status message / fault reason as the MSSP sends it, e.g. `USER_CANCEL`. */
  name: string;
  /** `status`: a StatusCode value; `fault`: a Fault SubCode `_<code>`. */
  kind: 'status' | 'fault';
  /** SOAP 1.2 `Code.Value` of the fault envelope (faults only). */
  faultRole?: 'Sender' | 'Receiver';
  /** Typed error code when this outcome is a failure. */
  errorCode?: MssFaultErrorCode;
  /** HTTP status we answer with when the failure reaches a user. */
  httpStatus: number;
  messageKey: string;
  /** The user may simply start a new login attempt. */
  retryable: boolean;
  userAction: UserAction;
  /** The MSS operations that can return this code (section 6.1). */
  operations: readonly MssOperation[];
  /** The detail text documented for the test MSISDN `+41000092<code>` (section 6.2.1). */
  documentedDetail?: string;
}

const ALL: readonly MssOperation[] = ['signature', 'status', 'receipt', 'profile'];
const SIG_RCPT_PROF: readonly MssOperation[] = ['signature', 'receipt', 'profile'];
const SIG_STATUS: readonly MssOperation[] = ['signature', 'status'];

function status(code: number, name: string, rest: Omit<MssCodeInfo, 'code' | 'name' | 'kind' | 'messageKey'>): MssCodeInfo {
  return { code, name, kind: 'status', messageKey: `mobileid.status.${code}`, ...rest };
}

function fault(
  code: number,
  name: Uppercase<MssFaultErrorCode>,
  rest: Omit<MssCodeInfo, 'code' | 'name' | 'kind' | 'messageKey' | 'faultRole' | 'errorCode'>,
): MssCodeInfo {
  return {
    code,
    name,
    kind: 'fault',
    faultRole: code < 200 ? 'Sender' : 'Receiver',
    // Safe: `name` is typed as the upper-case form of an MssFaultErrorCode.
    errorCode: name.toLowerCase() as MssFaultErrorCode,
    messageKey: `mobileid.fault.${code}`,
    ...rest,
  };
}

/** Section 6.1, in the order of the guide. */
export const MSS_CODES: ReadonlyMap<number, MssCodeInfo> = new Map(
  [
    status(100, 'REQUEST_OK', { httpStatus: 200, retryable: false, userAction: 'wait', operations: SIG_RCPT_PROF }),
    fault(101, 'WRONG_PARAM', {
      httpStatus: 400, retryable: false, userAction: 'check_number', operations: ALL,
      documentedDetail: 'Error among the arguments of the request',
    }),
    fault(102, 'MISSING_PARAM', {
      httpStatus: 500, retryable: false, userAction: 'contact_service', operations: ALL,
      documentedDetail: 'An argument in the request is missing',
    }),
    fault(103, 'WRONG_DATA_LENGTH', {
      httpStatus: 500, retryable: false, userAction: 'contact_service', operations: ['signature', 'receipt'],
      documentedDetail: 'The DataToBeSigned are too large. Limitations are due to the Mobile Signature technology implemented by the MSSP.',
    }),
    fault(104, 'UNAUTHORIZED_ACCESS', {
      httpStatus: 500, retryable: false, userAction: 'contact_service', operations: ALL,
      documentedDetail:
        'The AP is unknown, or the client authentication failed, or the AP asks for an additional service for which it has not subscribed.',
    }),
    fault(105, 'UNKNOWN_CLIENT', {
      httpStatus: 400, retryable: false, userAction: 'check_number', operations: SIG_RCPT_PROF,
      documentedDetail: 'MSISDN is unknown',
    }),
    fault(107, 'INAPPROPRIATE_DATA', {
      httpStatus: 500, retryable: false, userAction: 'contact_service', operations: ['signature', 'receipt'],
      documentedDetail: 'DTBD matching failed',
    }),
    fault(108, 'INCOMPATIBLE_INTERFACE', {
      httpStatus: 500, retryable: false, userAction: 'contact_service', operations: ALL,
      documentedDetail: 'The minor version and/or major version parameters are inappropriate for the receiver of the message.',
    }),
    fault(109, 'UNSUPPORTED_PROFILE', {
      httpStatus: 403, retryable: false, userAction: 'activate', operations: ['signature'],
      documentedDetail: 'The user does not support this Mobile Signature Profile',
    }),
    fault(208, 'EXPIRED_TRANSACTION', {
      httpStatus: 408, retryable: true, userAction: 'retry', operations: ['signature', 'status', 'receipt'],
      documentedDetail: 'Transaction Expiry date has been reached or Time out has lapsed.',
    }),
    fault(209, 'OTA_ERROR', {
      httpStatus: 503, retryable: true, userAction: 'retry_later', operations: SIG_STATUS,
      documentedDetail: "The MSSP has not succeeded to contact the end-user's mobile equipment Bad connection...)",
    }),
    fault(401, 'USER_CANCEL', {
      httpStatus: 403, retryable: true, userAction: 'retry', operations: SIG_STATUS,
      documentedDetail: 'User cancelled the request',
    }),
    fault(402, 'PIN_NR_BLOCKED', {
      httpStatus: 403, retryable: false, userAction: 'unblock_pin', operations: ALL,
      documentedDetail: 'PIN of the mobile user is blocked',
    }),
    fault(403, 'CARD_BLOCKED', {
      httpStatus: 403, retryable: false, userAction: 'contact_support', operations: ALL,
      documentedDetail: 'Mobile user account has state INACTIVE or no SIM assigned',
    }),
    fault(404, 'NO_KEY_FOUND', {
      httpStatus: 403, retryable: false, userAction: 'activate', operations: ALL,
      documentedDetail: 'Mobile user account needs to be activated',
    }),
    fault(406, 'PB_SIGNATURE_PROCESS', {
      httpStatus: 409, retryable: true, userAction: 'retry_later', operations: SIG_STATUS,
      documentedDetail: 'Signature request already in progress.',
    }),
    fault(422, 'NO_CERT_FOUND', {
      httpStatus: 403, retryable: false, userAction: 'activate', operations: ALL,
      documentedDetail: 'Certificate is expired',
    }),
    status(500, 'SIGNATURE', { httpStatus: 200, retryable: false, userAction: 'none', operations: SIG_STATUS }),
    status(501, 'REVOKED_CERTIFICATE', {
      errorCode: 'revoked_certificate', httpStatus: 403, retryable: false, userAction: 'reactivate', operations: SIG_STATUS,
    }),
    status(502, 'VALID_SIGNATURE', { httpStatus: 200, retryable: false, userAction: 'none', operations: SIG_STATUS }),
    status(503, 'INVALID_SIGNATURE', {
      errorCode: 'invalid_signature', httpStatus: 502, retryable: false, userAction: 'reactivate', operations: SIG_STATUS,
    }),
    status(504, 'OUTSTANDING_TRANSACTION', { httpStatus: 200, retryable: false, userAction: 'wait', operations: ['status'] }),
    fault(900, 'INTERNAL_ERROR', {
      httpStatus: 503, retryable: true, userAction: 'retry_later', operations: ALL,
      documentedDetail: 'Unknown Error',
    }),
  ].map((info) => [info.code, info] as const),
);

export interface GeofencingErrorInfo {
  code: number;
  /** Short technical name (ours; the MSSP sends a free-text ErrorMessage). */
  name: string;
  /** Advice for the user, e.g. `mobileid.geofencing.106` (switch flight mode off). */
  messageKey: string;
  retryable: boolean;
  userAction: UserAction;
}

function geo(code: number, name: string, retryable: boolean, userAction: UserAction): GeofencingErrorInfo {
  return { code, name, messageKey: `mobileid.geofencing.${code}`, retryable, userAction };
}

/** Section 3.2.4.2.4. */
export const GEOFENCING_ERRORS: ReadonlyMap<number, GeofencingErrorInfo> = new Map(
  [
    geo(100, 'GEOFENCING_DISABLED_IN_APP', true, 'enable_location'),
    geo(101, 'LOCATION_UNAVAILABLE', true, 'retry'),
    geo(102, 'PERMISSION_NOT_ANSWERED', true, 'enable_location'),
    geo(103, 'PERMISSION_DENIED', true, 'enable_location'),
    geo(104, 'LOCATION_RESTRICTED', false, 'enable_location'),
    geo(105, 'LOCATION_SERVICES_OFF', true, 'enable_location'),
    geo(106, 'AIRPLANE_MODE', true, 'enable_location'),
    geo(120, 'LOCATION_FAILED', true, 'retry'),
    geo(121, 'MSSP_INTERNAL_ERROR', true, 'retry_later'),
    geo(122, 'AP_NOT_AUTHORIZED', false, 'contact_service'),
    geo(123, 'NON_SWISSCOM_SIM', false, 'use_app'),
    geo(200, 'NO_LOCATION_FROM_APP', true, 'enable_location'),
    geo(201, 'APP_OUTDATED', true, 'update_app'),
  ].map((info) => [info.code, info] as const),
);

/** The table entry of a status or fault code, if documented. */
export function mssCodeInfo(code: number): MssCodeInfo | undefined {
  return MSS_CODES.get(code);
}

/** The table entry of a geofencing error code, if documented. */
export function geofencingErrorInfo(code: number): GeofencingErrorInfo | undefined {
  return GEOFENCING_ERRORS.get(code);
}

/** Advice key for a geofencing error; undocumented codes get the generic advice. */
export function geofencingAdviceKey(code: number): string {
  return GEOFENCING_ERRORS.get(code)?.messageKey ?? 'mobileid.geofencing.unknown';
}
