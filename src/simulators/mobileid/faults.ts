/**
 * Mobile ID fault codes (reference guide section 6) and the REST Fault envelope.
 *
 * Details follow the recorded responses where we have one (105, 107, 208) and the documented
 * test-number table otherwise. Code.Value is "Sender" for 1xx faults (request problems) and
 * "Receiver" for the rest, as the recorded 1xx/208 faults and the section 6.2 example show.
 */
import { ETSI_NS, SOAP_ENVELOPE_NS } from './constants.js';

export const FAULTS = {
  '101': { reason: 'WRONG_PARAM', detail: 'Error among the arguments of the request' },
  '102': { reason: 'MISSING_PARAM', detail: 'An argument in the request is missing' },
  '103': {
    reason: 'WRONG_DATA_LENGTH',
    detail: 'The DataToBeSigned are too large. Limitations are due to the Mobile Signature technology implemented by the MSSP.',
  },
  '104': {
    reason: 'UNAUTHORIZED_ACCESS',
    detail:
      'The AP is unknown, or the client authentication failed, or the AP asks for an additional service for which it has not subscribed.',
  },
  '105': { reason: 'UNKNOWN_CLIENT', detail: 'MSISDN is unknown' },
  '107': { reason: 'INAPPROPRIATE_DATA', detail: 'DTBD matching failed' },
  '108': {
    reason: 'INCOMPATIBLE_INTERFACE',
    detail: 'The minor version and/or major version parameters are inappropriate for the receiver of the message.',
  },
  '109': { reason: 'UNSUPPORTED_PROFILE', detail: 'The user does not support this Mobile Signature Profile' },
  '208': { reason: 'EXPIRED_TRANSACTION', detail: 'Timed out waiting for an answer from user.' },
  '209': {
    reason: 'OTA_ERROR',
    detail: "The MSSP has not succeeded to contact the end-user's mobile equipment Bad connection...)",
  },
  '401': { reason: 'USER_CANCEL', detail: 'User cancelled the request' },
  '402': { reason: 'PIN_NR_BLOCKED', detail: 'PIN of the mobile user is blocked' },
  '403': { reason: 'CARD_BLOCKED', detail: 'Mobile user account has state INACTIVE or no SIM assigned' },
  '404': { reason: 'NO_KEY_FOUND', detail: 'Mobile user account needs to be activated' },
  '406': { reason: 'PB_SIGNATURE_PROCESS', detail: 'Signature request already in progress.' },
  '422': { reason: 'NO_CERT_FOUND', detail: 'Certificate is expired' },
  '900': { reason: 'INTERNAL_ERROR', detail: 'Unknown Error' },
} as const satisfies Record<string, { reason: string; detail: string }>;

export type FaultCode = keyof typeof FAULTS;

export function isFaultCode(code: string): code is FaultCode {
  return Object.hasOwn(FAULTS, code);
}

/** A fault the simulator answers with (HTTP 500 + Fault envelope). */
export class MssFault extends Error {
  readonly code: FaultCode;
  readonly detail: string;

  constructor(code: FaultCode, detail?: string) {
    super(`${code} ${FAULTS[code].reason}`);
    this.name = 'MssFault';
    this.code = code;
    this.detail = detail ?? FAULTS[code].detail;
  }
}

export interface FaultEnvelope {
  Fault: {
    Code: {
      SubCode: { Value: string; ValueNs: string };
      Value: 'Sender' | 'Receiver';
      ValueNs: string;
    };
    Detail: string;
    Reason: string;
  };
}

export function faultEnvelope(fault: MssFault): FaultEnvelope {
  return {
    Fault: {
      Code: {
        SubCode: { Value: `_${fault.code}`, ValueNs: ETSI_NS },
        Value: fault.code.startsWith('1') ? 'Sender' : 'Receiver',
        ValueNs: SOAP_ENVELOPE_NS,
      },
      Detail: fault.detail,
      Reason: FAULTS[fault.code].reason,
    },
  };
}
