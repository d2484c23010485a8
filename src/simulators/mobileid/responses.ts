/**
 * Response envelopes in the recorded shape (rest-responses vectors). Keys are emitted in ASCII
 * order by `sortKeysDeep`, as the real service does.
 */
import { AS, MSSP_ID_URI } from './constants.js';
import type { GeofencingJson } from './geofencing.js';
import type { ApInfo } from './requests.js';

export type ServiceResponse =
  | { Description: typeof AS.GEOFENCING; Geofencing: GeofencingJson }
  | { App2App: { AuthUri: string }; Description: typeof AS.APP2APP };

interface Common {
  ap: ApInfo;
  now: Date;
}

function header(c: Common) {
  return {
    AP_Info: { AP_ID: c.ap.apId, AP_TransID: c.ap.apTransId, Instant: c.ap.instant },
    MSSP_Info: { Instant: c.now.toISOString(), MSSP_ID: { URI: MSSP_ID_URI } },
  };
}

const status = (code: string, message: string) => ({ StatusCode: { Value: code }, StatusMessage: message });

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  value === undefined ? {} : ({ [key]: value } as Record<K, V>);

const serviceResponses = (list: readonly ServiceResponse[] | undefined) =>
  optional('ServiceResponses', list && list.length > 0 ? list : undefined);

export function signatureResponse(
  c: Common & {
    msspTransId: string;
    msisdn: string;
    signatureProfile: string;
    signature?: string;
    serviceResponses?: readonly ServiceResponse[];
  },
) {
  return {
    MSS_SignatureResp: {
      ...header(c),
      MSSP_TransID: c.msspTransId,
      ...optional('MSS_Signature', c.signature === undefined ? undefined : { Base64Signature: c.signature }),
      MajorVersion: '1',
      MinorVersion: '1',
      MobileUser: { MSISDN: c.msisdn },
      ...serviceResponses(c.serviceResponses),
      SignatureProfile: c.signatureProfile,
      Status: c.signature === undefined ? status('100', 'REQUEST_OK') : status('500', 'SIGNATURE'),
    },
  };
}

export function statusResponse(
  c: Common & { msisdn: string; signature?: string; serviceResponses?: readonly ServiceResponse[] },
) {
  return {
    MSS_StatusResp: {
      ...header(c),
      ...optional('MSS_Signature', c.signature === undefined ? undefined : { Base64Signature: c.signature }),
      MajorVersion: '1',
      MinorVersion: '1',
      MobileUser: { MSISDN: c.msisdn },
      ...serviceResponses(c.serviceResponses),
      Status: c.signature === undefined ? status('504', 'OUTSTANDING_TRANSACTION') : status('500', 'SIGNATURE'),
    },
  };
}

/** The ReceiptResponseExtension, present only when the request asked for it. */
export interface ReceiptExtension {
  userAck: boolean;
  userResponse: 'OK' | 'CANCEL' | undefined;
}

export function receiptResponse(c: Common & { extension?: ReceiptExtension }) {
  const detail = c.extension && {
    ReceiptResponseExtension: {
      ClientAck: 'false',
      NetworkAck: 'false',
      ReceiptMessagingMode: 'synch',
      UserAck: String(c.extension.userAck),
      ...optional(
        'UserResponse',
        c.extension.userResponse === undefined ? undefined : JSON.stringify({ status: c.extension.userResponse }),
      ),
    },
  };
  return {
    MSS_ReceiptResp: {
      ...header(c),
      MajorVersion: '1',
      MinorVersion: '1',
      Status: { StatusCode: { Value: '100' }, ...optional('StatusDetail', detail), StatusMessage: 'REQUEST_OK' },
    },
  };
}

export interface ProfileCertificate {
  Algorithm: 'EC' | 'RSA';
  State: 'ACTIVE' | 'INACTIVE';
  X509Certificate: string[];
  X509SubjectName: string[];
}

export interface ProfileSscd {
  CardDetails?: { Mcc: string; Mnc: string; Network: string };
  MobileUserCertificate?: ProfileCertificate[];
  PinStatus?: { Blocked: boolean };
  State?: 'ACTIVE' | 'INACTIVE';
}

export interface ProfileQueryExtension {
  MobileUser?: { AutoActivation?: boolean; RecoveryCodeCreated?: boolean };
  Sscds?: { App?: ProfileSscd[]; Sim?: ProfileSscd };
}

export function profileResponse(c: Common & { signatureProfiles: string[]; extension?: ProfileQueryExtension }) {
  return {
    MSS_ProfileResp: {
      ...header(c),
      MajorVersion: '2',
      MinorVersion: '0',
      SignatureProfile: c.signatureProfiles,
      Status: {
        StatusCode: { Value: '100' },
        ...optional('StatusDetail', c.extension && { ProfileQueryExtension: c.extension }),
        StatusMessage: 'REQUEST_OK',
      },
    },
  };
}

/** Recursively order object keys in ASCII order (arrays keep their order). */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeysDeep(v)]));
  }
  return value;
}
