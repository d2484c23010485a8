/**
 * The one error class of the Mobile ID domain.
 *
 * `code` is a stable, typed identifier: either one of our own checks (invalid input, malformed
 * response, signature verification, availability) or the lower-case name of an MSS status/fault
 * (section 6 of the reference guide, e.g. `user_cancel` for fault 401). Provider faults keep the
 * provider's numeric code in `providerCode` and its reason text in `providerReason`.
 */
import { AppError } from '../errors.js';

/** Lower-case names of the MSS faults and failure status codes of section 6. */
export type MssFaultErrorCode =
  | 'wrong_param'
  | 'missing_param'
  | 'wrong_data_length'
  | 'unauthorized_access'
  | 'unknown_client'
  | 'inappropriate_data'
  | 'incompatible_interface'
  | 'unsupported_profile'
  | 'expired_transaction'
  | 'ota_error'
  | 'user_cancel'
  | 'pin_nr_blocked'
  | 'card_blocked'
  | 'no_key_found'
  | 'pb_signature_process'
  | 'no_cert_found'
  | 'revoked_certificate'
  | 'invalid_signature'
  | 'internal_error';

/** Codes raised by our own checks, before or after talking to the MSSP. */
export type LocalErrorCode =
  /** The phone number cannot be an MSISDN (nothing was sent). */
  | 'invalid_msisdn'
  /** The DataToBeDisplayed breaks a spec limit (nothing was sent). */
  | 'invalid_dtbd'
  /** A request parameter is not acceptable (nothing was sent). */
  | 'invalid_request'
  /** The MSSP answered with something we cannot read. */
  | 'malformed_response'
  /** The answer belongs to another transaction or phone number. */
  | 'response_mismatch'
  /** A fault whose sub-code is not in the documented table. */
  | 'unknown_fault'
  /** The CMS signature, its content or its certificate chain failed verification. */
  | 'signature_invalid'
  /** The MSSP could not be reached or kept failing (network, timeout, 900). */
  | 'unavailable';

export type MobileIdErrorCode = MssFaultErrorCode | LocalErrorCode;

export interface MobileIdErrorOptions {
  code: MobileIdErrorCode;
  status: number;
  messageKey: string;
  detail?: string;
  params?: Record<string, string | number>;
  providerCode?: number;
  providerReason?: string;
  /** SOAP 1.2 fault code of the envelope: `Sender` (our request) or `Receiver` (MSSP side). */
  faultRole?: string;
  /** True when one automatic retry may help (network error, timeout, fault 900). */
  transient?: boolean;
  cause?: unknown;
}

export class MobileIdError extends AppError {
  declare readonly code: MobileIdErrorCode;
  readonly providerCode: number | undefined;
  readonly providerReason: string | undefined;
  readonly faultRole: string | undefined;
  readonly transient: boolean;

  constructor(opts: MobileIdErrorOptions) {
    super({
      code: opts.code,
      status: opts.status,
      messageKey: opts.messageKey,
      ...(opts.detail !== undefined ? { detail: opts.detail } : {}),
      ...(opts.params !== undefined ? { params: opts.params } : {}),
      ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
    });
    this.providerCode = opts.providerCode;
    this.providerReason = opts.providerReason;
    this.faultRole = opts.faultRole;
    this.transient = opts.transient ?? false;
  }
}

/** Message keys of our own error codes (texts in messages.json). */
export const LOCAL_ERROR_MESSAGE_KEYS: Readonly<Record<LocalErrorCode, string>> = {
  invalid_msisdn: 'mobileid.error.invalid_msisdn',
  invalid_dtbd: 'mobileid.error.invalid_dtbd',
  invalid_request: 'mobileid.error.invalid_request',
  malformed_response: 'mobileid.error.malformed_response',
  response_mismatch: 'mobileid.error.response_mismatch',
  unknown_fault: 'mobileid.error.unknown_fault',
  signature_invalid: 'mobileid.error.signature_invalid',
  unavailable: 'mobileid.error.unavailable',
};

/** Shorthand for one of our own errors with its default message key. */
export function localError(
  code: LocalErrorCode,
  status: number,
  detail: string,
  extra: Omit<MobileIdErrorOptions, 'code' | 'status' | 'messageKey' | 'detail'> = {},
): MobileIdError {
  return new MobileIdError({ code, status, messageKey: LOCAL_ERROR_MESSAGE_KEYS[code], detail, ...extra });
}

/** A response we cannot read: always 502, never a crash. */
export function malformed(detail: string, cause?: unknown): MobileIdError {
  return localError('malformed_response', 502, detail, cause === undefined ? {} : { cause });
}
