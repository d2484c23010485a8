/**
 * The one error class of the SRS domain, with a typed code. `detail` is for the logs only: it
 * never holds tokens, names, dates of birth or full phone numbers.
 */
import { AppError } from '../../errors.js';

export type SrsErrorCode =
  /** SRS could not be reached, timed out, or answered 5xx / 429. Trying again later may help. */
  | 'unavailable'
  /** Our client credentials or token were refused (401/403): a configuration problem. */
  | 'unauthorized'
  /** SRS refused the request (4xx other than 401/403/404). */
  | 'rejected'
  /** The identification (refId) is unknown to SRS. */
  | 'not_found'
  /** SRS answered with something we cannot read. */
  | 'malformed_response'
  /** No catalogue entry satisfies the policy for the chosen method. */
  | 'no_method'
  /** The identification partner's callback JWT is not acceptable (signature, issuer, audience, claims). */
  | 'callback_invalid'
  /** The callback JWT has expired (or is not valid yet). */
  | 'callback_expired'
  /** The callback JWT was already used. */
  | 'callback_replayed';

export class SrsError extends AppError {
  declare readonly code: SrsErrorCode;
  /** True when the same call may succeed later (network, timeout, 5xx). */
  readonly transient: boolean;
  /** HTTP status SRS answered with, when it answered. */
  readonly httpStatus: number | undefined;

  constructor(opts: {
    code: SrsErrorCode;
    detail: string;
    status?: number;
    messageKey?: string;
    httpStatus?: number;
    transient?: boolean;
    cause?: unknown;
  }) {
    super({
      code: opts.code,
      status: opts.status ?? defaultStatus(opts.code),
      messageKey: opts.messageKey ?? defaultMessageKey(opts.code),
      detail: opts.detail,
      cause: opts.cause,
    });
    this.transient = opts.transient ?? opts.code === 'unavailable';
    this.httpStatus = opts.httpStatus;
  }
}

function defaultStatus(code: SrsErrorCode): number {
  switch (code) {
    case 'unavailable':
    case 'unauthorized':
    case 'malformed_response':
      return 503;
    case 'no_method':
      return 503;
    case 'not_found':
      return 404;
    case 'callback_replayed':
      return 409;
    default:
      return 400;
  }
}

function defaultMessageKey(code: SrsErrorCode): string {
  switch (code) {
    case 'unavailable':
    case 'malformed_response':
      return 'verification.srs.error.unavailable';
    case 'unauthorized':
      return 'verification.srs.error.configuration';
    case 'no_method':
      return 'verification.srs.error.no_method';
    case 'rejected':
      return 'verification.srs.error.rejected';
    default:
      return 'verification.srs.error.unavailable';
  }
}
