/**
 * The one error class of the Freja eID domain, and the error codes of the relying-party API
 * (`{ "code": <int>, "message": "…" }` in the body of HTTP 400/422), each with what we tell the user.
 *
 * Texts for every `messageKey` live in `messages.json` (en, de, fr, it).
 */
import { AppError } from '../../errors.js';

export type FrejaErrorCode =
  /** Freja answered with an error code of its API (kept in `providerCode`). */
  | 'api_error'
  /** Freja could not be reached, timed out, or failed on its side (HTTP 5xx). */
  | 'unavailable'
  /** Freja answered with something we cannot read. */
  | 'malformed_response'
  /** The signed result failed verification: format, signer, certificate chain or signature. */
  | 'jws_invalid'
  /** The signed result does not belong to this request (reference, status, time). */
  | 'result_mismatch'
  /** The signed result was already used once. */
  | 'replayed'
  /** A request parameter is not acceptable (nothing was sent). */
  | 'invalid_request';

export interface FrejaErrorOptions {
  code: FrejaErrorCode;
  status: number;
  messageKey: string;
  detail?: string;
  providerCode?: number | undefined;
  /** True when trying again later may help (network error, timeout, HTTP 5xx). */
  transient?: boolean;
  cause?: unknown;
}

export class FrejaError extends AppError {
  declare readonly code: FrejaErrorCode;
  readonly providerCode: number | undefined;
  readonly transient: boolean;

  constructor(opts: FrejaErrorOptions) {
    super({
      code: opts.code,
      status: opts.status,
      messageKey: opts.messageKey,
      ...(opts.detail !== undefined ? { detail: opts.detail } : {}),
      ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
    });
    this.providerCode = opts.providerCode;
    this.transient = opts.transient ?? false;
  }
}

/** What a Freja API error code means for the user. */
export interface FrejaApiCodeInfo {
  code: number;
  /** The documented message. */
  message: string;
  messageKey: string;
  /** Starting a new request may help. */
  retryable: boolean;
}

const K = {
  internal: 'verification.freja.error.internal',
  request: 'verification.freja.error.request',
  notAllowed: 'verification.freja.error.not_allowed',
  disabled: 'verification.freja.error.disabled',
  unknownUser: 'verification.freja.error.unknown_user',
  reference: 'verification.freja.error.reference',
  security: 'verification.freja.error.security',
  unknown: 'verification.freja.error.unknown',
} as const;

function code(n: number, message: string, messageKey: string, retryable: boolean): FrejaApiCodeInfo {
  return { code: n, message, messageKey, retryable };
}

/** Every error code of the relying-party API (authentication and signing services). */
export const FREJA_API_CODES: ReadonlyMap<number, FrejaApiCodeInfo> = new Map(
  [
    code(0, 'Internal error.', K.internal, true),
    code(1000, 'Invalid parameters.', K.request, false),
    code(1001, 'Invalid or missing userInfoType.', K.request, false),
    code(1002, 'Invalid or missing userInfo.', K.request, false),
    code(1003, 'Invalid restrict.', K.request, false),
    code(1004, 'You are not allowed to call this method.', K.notAllowed, false),
    code(1005, 'User has disabled your service.', K.disabled, false),
    code(1006, 'Invalid confidential.', K.request, false),
    code(1007, 'Invalid minimum registration level.', K.request, false),
    code(1008, 'Unknown Relying party.', K.notAllowed, false),
    code(1009, 'You are not allowed to request integrator specific user id parameter.', K.notAllowed, false),
    code(1010, 'JSON request cannot be parsed.', K.request, false),
    code(1011, 'Invalid relyingPartyId.', K.notAllowed, false),
    code(1012, 'User with the specified user info does not exist in the Freja eID database.', K.unknownUser, false),
    code(1013, 'You are not allowed to request user custodianship information.', K.notAllowed, false),
    code(1100, 'Invalid reference (for example, nonexistent or expired).', K.reference, true),
    code(1200, 'Invalid or missing includePrevious parameter.', K.request, false),
    code(2000, 'Authentication request failed. Previous authentication request was rejected due to security reasons.', K.security, true),
    code(2002, 'Invalid attributesToReturn parameter.', K.request, false),
    code(2003, 'Custom identifier has to exist when it is requested.', K.request, false),
    code(3000, 'Invalid or missing dataToSignType.', K.request, false),
    code(3001, 'Invalid or missing dataToSign.', K.request, false),
    code(3002, 'Invalid or missing signatureType.', K.request, false),
    code(3003, 'Invalid expiry.', K.request, false),
    code(3004, 'Invalid push notification.', K.request, false),
    code(3005, 'Invalid attributesToReturn parameter.', K.request, false),
    code(3006, 'Custom identifier has to exist when it is requested.', K.request, false),
    code(3007, 'Invalid title.', K.request, false),
  ].map((info) => [info.code, info] as const),
);

/** The table entry of an API error code; an undocumented code gets a generic message. */
export function frejaApiCodeInfo(n: number): FrejaApiCodeInfo {
  return FREJA_API_CODES.get(n) ?? { code: n, message: 'Undocumented error code.', messageKey: K.unknown, retryable: false };
}

/** An error answer of the API as a FrejaError (422 towards our user: the request could not be done). */
export function apiError(providerCode: number, httpStatus: number, operation: string): FrejaError {
  const info = frejaApiCodeInfo(providerCode);
  return new FrejaError({
    code: 'api_error',
    status: info.code === 0 ? 503 : 422,
    messageKey: info.messageKey,
    detail: `${operation}: HTTP ${httpStatus}, code ${providerCode} (${info.message})`,
    providerCode,
    transient: info.code === 0,
  });
}

export const UNAVAILABLE_KEY = 'verification.freja.unavailable';

export function unavailable(detail: string, cause?: unknown): FrejaError {
  return new FrejaError({ code: 'unavailable', status: 503, messageKey: UNAVAILABLE_KEY, detail, transient: true, ...(cause === undefined ? {} : { cause }) });
}

export function malformed(detail: string): FrejaError {
  return new FrejaError({ code: 'malformed_response', status: 502, messageKey: 'verification.freja.invalid_result', detail });
}

export function jwsInvalid(detail: string): FrejaError {
  return new FrejaError({ code: 'jws_invalid', status: 502, messageKey: 'verification.freja.invalid_result', detail });
}

export function resultMismatch(detail: string): FrejaError {
  return new FrejaError({ code: 'result_mismatch', status: 502, messageKey: 'verification.freja.invalid_result', detail });
}
