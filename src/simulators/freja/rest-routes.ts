/**
 * The relying-party REST API of the authentication service, as Freja eID answers it:
 *   POST <base>/authentication/1.0/initAuthentication   initAuthRequest=<Base64 JSON>       → 200 {authRef}
 *   POST <base>/authentication/1.0/getOneResult         getOneAuthResultRequest=<Base64>    → 200 {authRef, status, details?, requestedAttributes?}
 *   POST <base>/authentication/1.0/getResults           getAuthResultsRequest=<Base64>      → 200 {authenticationResults: [...]}
 *   POST <base>/authentication/1.0/cancel               cancelAuthRequest=<Base64>          → 204
 * Errors: 400 / 422 with `{code, message}` (codes of the API documentation); 500 on injected outages.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { Router } from '@koa/router';

import { readBodyText, sendJson, type AnyContext } from '../shared/http.js';
import type { Faults, Operation } from './faults.js';
import { isFinal, type Transaction, type TransactionStore } from './transactions.js';

const USER_INFO_TYPES = ['EMAIL', 'SSN', 'PHONE', 'INFERRED', 'ORG_ID', 'UPI'];
const MIN_LEVELS = ['BASIC', 'EXTENDED', 'PLUS', 'INFERRED'];
const SUPPORTED_ATTRIBUTES = ['BASIC_USER_INFO', 'SSN', 'DATE_OF_BIRTH', 'EMAIL_ADDRESS', 'REGISTRATION_LEVEL', 'AGE'];
/** Attributes only users with a verified identity have. */
const IDENTITY_ATTRIBUTES = ['BASIC_USER_INFO', 'SSN', 'DATE_OF_BIRTH'];

const MESSAGES: Record<number, string> = {
  0: 'Internal error.',
  1001: 'Invalid or missing userInfoType.',
  1002: 'Invalid or missing userInfo.',
  1007: 'Invalid minimum registration level.',
  1010: 'JSON request cannot be parsed.',
  1100: 'Invalid reference (for example, nonexistent or expired).',
  1200: 'Invalid or missing includePrevious parameter.',
  2002: 'Invalid attributesToReturn parameter.',
};

class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message?: string,
  ) {
    super(message ?? MESSAGES[code] ?? 'Error.');
  }
}

type Json = Record<string, unknown>;

/** `<param>=<Base64(JSON)>[&relyingPartyId=…]` → the JSON object. */
function decodeParameter(body: string, parameter: string): Json {
  const fields = new Map<string, string>();
  for (const part of body.trim().split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const encoded = fields.get(parameter);
  if (encoded === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(decodeURIComponent(encoded))) throw new ApiError(400, 1010);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(decodeURIComponent(encoded), 'base64').toString('utf8'));
  } catch {
    throw new ApiError(400, 1010);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApiError(400, 1010);
  return value as Json;
}

function checkUserInfo(type: string, info: unknown): string {
  if (typeof info !== 'string' || info === '') throw new ApiError(422, 1002);
  const ok =
    type === 'INFERRED' ? info === 'N/A'
    : type === 'EMAIL' ? /^[^\s@]+@[^\s@]+$/.test(info)
    : type === 'PHONE' ? /^\+?\d{6,15}$/.test(info)
    : type === 'SSN' ? isSsnDocument(info)
    : info.length <= 256;
  if (!ok) throw new ApiError(422, 1002);
  return info;
}

function isSsnDocument(info: string): boolean {
  try {
    const doc = JSON.parse(Buffer.from(info, 'base64').toString('utf8')) as Json;
    return typeof doc.country === 'string' && /^[A-Z]{2}$/.test(doc.country) && typeof doc.ssn === 'string' && doc.ssn !== '';
  } catch {
    return false;
  }
}

function checkAttributes(raw: unknown, minLevel: string): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new ApiError(422, 2002);
  const names = raw.map((entry) => (typeof entry === 'object' && entry !== null ? (entry as Json).attribute : undefined));
  if (names.some((n) => typeof n !== 'string' || !SUPPORTED_ATTRIBUTES.includes(n))) throw new ApiError(422, 2002);
  const list = [...new Set(names as string[])];
  if ((minLevel === 'BASIC' || minLevel === 'INFERRED') && list.some((a) => IDENTITY_ATTRIBUTES.includes(a))) throw new ApiError(422, 2002);
  return list;
}

function resultOf(tx: Transaction): Json {
  return {
    authRef: tx.authRef,
    status: tx.status,
    ...(tx.details ? { details: tx.details } : {}),
    ...(tx.requestedAttributes ? { requestedAttributes: tx.requestedAttributes } : {}),
  };
}

export function mountRestRoutes(router: Router, store: TransactionStore, faults: Faults): void {
  const method = (path: string, operation: Operation | 'getResults', run: (body: string) => { status: number; body?: unknown }) => {
    router.post(path, async (ctx: AnyContext) => {
      try {
        const text = await readBodyText(ctx);
        const fault = operation === 'getResults' ? undefined : faults.take(operation);
        if (fault?.delayMs) {
          await sleep(fault.delayMs);
          // The caller gave up waiting: nothing to answer.
          if (ctx.req.socket.destroyed) return;
        }
        if (fault?.httpStatus) {
          const code = fault.code ?? 0;
          return sendJson(ctx, fault.httpStatus, { code, message: MESSAGES[code] ?? 'Error.' });
        }
        const out = run(text);
        if (out.body === undefined) {
          ctx.status = out.status;
          return;
        }
        sendJson(ctx, out.status, out.body);
      } catch (err) {
        if (err instanceof ApiError) return sendJson(ctx, err.httpStatus, { code: err.code, message: err.message });
        throw err;
      }
    });
  };

  method('/authentication/1.0/initAuthentication', 'initAuthentication', (text) => {
    const req = decodeParameter(text, 'initAuthRequest');
    const type = req.userInfoType;
    if (typeof type !== 'string' || !USER_INFO_TYPES.includes(type) || type === 'ORG_ID') throw new ApiError(422, 1001);
    const userInfo = checkUserInfo(type, req.userInfo);
    const level = req.minRegistrationLevel ?? 'BASIC';
    if (typeof level !== 'string' || !MIN_LEVELS.includes(level)) throw new ApiError(422, 1007);
    const attributes = checkAttributes(req.attributesToReturn, level);
    const tx = store.create({ userInfoType: type, userInfo, minRegistrationLevel: level, attributes });
    return { status: 200, body: { authRef: tx.authRef } };
  });

  const byRef = (text: string, parameter: string): Transaction => {
    const req = decodeParameter(text, parameter);
    const tx = typeof req.authRef === 'string' ? store.get(req.authRef) : undefined;
    if (!tx) throw new ApiError(422, 1100);
    return tx;
  };

  method('/authentication/1.0/getOneResult', 'getOneResult', (text) => ({ status: 200, body: resultOf(byRef(text, 'getOneAuthResultRequest')) }));

  method('/authentication/1.0/getResults', 'getResults', (text) => {
    const req = decodeParameter(text, 'getAuthResultsRequest');
    if (req.includePrevious !== 'ALL') throw new ApiError(422, 1200);
    return { status: 200, body: { authenticationResults: store.pending().map(resultOf) } };
  });

  method('/authentication/1.0/cancel', 'cancel', (text) => {
    const tx = byRef(text, 'cancelAuthRequest');
    if (isFinal(tx.status) || !store.cancelByRp(tx.authRef)) throw new ApiError(422, 1100);
    return { status: 204 };
  });
}

