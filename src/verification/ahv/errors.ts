/**
 * The one error class of the UPI (AHV register) client. `code` is stable and typed; a SOAP fault
 * keeps its fault code in `providerCode`, an eCH-0214 negative report its notice code. The texts
 * the user reads are under `verification.ahv.error.*` (messages.json). `detail` is for logs and
 * holds codes only, never the register's free text (a fault reason or notice description may
 * repeat the number or name the person); numbers are masked in it all the same.
 */
import { AppError } from '../../errors.js';
import { maskPersonalNumbers } from '../../logger.js';

export type UpiErrorCode =
  /** The register could not be reached: connection refused or reset, DNS, TLS handshake. */
  | 'unavailable'
  /** No (complete) answer within the configured time. */
  | 'timeout'
  /** The service answered with a SOAP fault. */
  | 'soap_fault'
  /** The register refused the whole request (eCH-0214 negativeReport), e.g. sender not allowed. */
  | 'rejected'
  /** An answer we cannot read, or one that is not eCH-0214. */
  | 'malformed_response'
  /** The answer belongs to another request (messageId, request id or number differ). */
  | 'response_mismatch';

export class UpiError extends AppError {
  declare readonly code: UpiErrorCode;
  /** SOAP fault code (e.g. `soap:Server`) or eCH-0213 notice code. */
  readonly providerCode: string | undefined;

  constructor(code: UpiErrorCode, detail: string, opts: { status?: number; providerCode?: string; cause?: unknown } = {}) {
    super({
      code,
      status: opts.status ?? 502,
      messageKey: `verification.ahv.error.${code}`,
      detail: maskPersonalNumbers(detail),
      ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
    });
    this.providerCode = opts.providerCode;
  }
}

export function malformed(detail: string): UpiError {
  return new UpiError('malformed_response', detail);
}
