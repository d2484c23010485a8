/**
 * The pure side of the Freja eID client: read an HTTP answer (status + parsed JSON) of each
 * method and return what it means, or throw a FrejaError. No I/O here, so every case is tested
 * without a network.
 *
 *   200 → the method's JSON;  204 → done, nothing to say (cancel);
 *   400 / 422 → `{code, message}`: an API error code (see errors.ts);
 *   5xx → Freja is unavailable (the request may be repeated later);
 *   anything else, or a body that is not the documented shape → malformed_response.
 */
import { apiError, malformed, unavailable } from './errors.js';
import type { FrejaOperation } from './protocol.js';
import { isFrejaStatus, type FrejaStatus } from './statuses.js';

const AUTH_REF = /^[\w.~+/=-]{1,255}$/;

export interface InitAuthAccepted {
  authRef: string;
}

/** The envelope of one result; `details` (a compact JWS) is checked separately (jws.ts, result.ts). */
export interface AuthResultEnvelope {
  authRef: string;
  status: FrejaStatus;
  details: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Throws the error an unsuccessful answer stands for; returns for 200 / 204. */
function assertSuccess(operation: FrejaOperation, httpStatus: number, json: unknown): void {
  if (httpStatus === 200 || httpStatus === 204) return;
  if (httpStatus >= 500) throw unavailable(`${operation}: HTTP ${httpStatus}`);
  if ((httpStatus === 400 || httpStatus === 422) && isRecord(json)) {
    const code = typeof json.code === 'number' ? json.code : typeof json.code === 'string' && /^\d{1,6}$/.test(json.code) ? Number(json.code) : undefined;
    if (code !== undefined) throw apiError(code, httpStatus, operation);
  }
  throw malformed(`${operation}: unexpected HTTP ${httpStatus}`);
}

export function processInitResponse(httpStatus: number, json: unknown): InitAuthAccepted {
  assertSuccess('init', httpStatus, json);
  if (httpStatus !== 200 || !isRecord(json)) throw malformed('init: no JSON body');
  if (typeof json.authRef !== 'string' || !AUTH_REF.test(json.authRef)) throw malformed('init: missing or invalid authRef');
  return { authRef: json.authRef };
}

export function processResultResponse(httpStatus: number, json: unknown, expectedAuthRef: string): AuthResultEnvelope {
  assertSuccess('getOneResult', httpStatus, json);
  if (httpStatus !== 200 || !isRecord(json)) throw malformed('getOneResult: no JSON body');
  if (json.authRef !== expectedAuthRef) throw malformed('getOneResult: the answer is about another authRef');
  if (!isFrejaStatus(json.status)) throw malformed(`getOneResult: unknown status ${JSON.stringify(String(json.status)).slice(0, 40)}`);
  if (json.details !== undefined && json.details !== null && typeof json.details !== 'string') throw malformed('getOneResult: details is not a string');
  const details = typeof json.details === 'string' && json.details !== '' ? json.details : undefined;
  if (json.status === 'APPROVED' && details === undefined) throw malformed('getOneResult: APPROVED without signed details');
  return { authRef: json.authRef, status: json.status, details };
}

export function processCancelResponse(httpStatus: number, json: unknown): void {
  assertSuccess('cancel', httpStatus, json);
}
