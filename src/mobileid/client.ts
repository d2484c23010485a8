/**
 * The I/O side of Mobile ID: POST the bodies of `protocol.ts` to the REST endpoints (2.2.2) over
 * undici, with mutual TLS when a client certificate is configured, and hand the answers to the
 * pure `process*Response` functions.
 *
 * Fault 900, HTTP 502/503/504 and network errors or timeouts are retried once (with a fresh
 * AP_TransID and Instant); if the second attempt fails too, MobileIdError `unavailable` (503).
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { Agent } from 'undici';

import { classifyTransportFailure, createProviderAgent, parseJsonAnswer, ResponseTooLargeError, sendToProvider, type ProviderResponse } from '../outbound/http.js';
import { defaultServerCaPem } from './certificates.js';
import { assertDtbd, type UserLang } from './dtbd.js';
import { localError, malformed, MobileIdError } from './errors.js';
import type { MssOperation } from './faults.js';
import { toMsisdn } from './msisdn.js';
import {
  buildProfileRequest,
  buildReceiptRequest,
  buildSignatureRequest,
  buildStatusRequest,
  createApTransIdGenerator,
  DEFAULT_BASE_URL,
  formatInstant,
  MSS_PATHS,
  SIGNATURE_PROFILES,
  type ReceiptParams,
  type RequestHeader,
} from './protocol.js';
import {
  processProfileResponse,
  processReceiptResponse,
  processSignatureResponse,
  processStatusResponse,
  type ExpectedEcho,
  type ProfileResult,
  type ReceiptResult,
  type SignatureAccepted,
  type StatusResult,
} from './responses.js';

/** Client connection timeouts of section 4.3 (async signature, status, receipt, profile). */
export const DEFAULT_REQUEST_TIMEOUT_MS: Readonly<Record<MssOperation, number>> = {
  signature: 10_000,
  status: 10_000,
  receipt: 90_000,
  profile: 10_000,
};
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface MobileIdClientOptions {
  /** `https://mobileid.swisscom.com` (a trailing `/rest/service` is accepted too). */
  baseUrl?: string;
  apId: string;
  /** AP_PWD; not checked by Swisscom (client certificate auth), default `not-used`. */
  apPassword?: string;
  /** PEM client certificate and key for mutual TLS (2.3); send only the end-entity certificate. */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** PEM roots for the server certificate; default SwissSign Gold CA - G2 (7.1). */
  caCertsPem?: string | readonly string[];
  connectTimeoutMs?: number;
  /** Per operation or one value for all; defaults from section 4.3. */
  requestTimeoutMs?: number | Partial<Record<MssOperation, number>>;
  /** Default signature profile; `http://mid.swisscom.ch/Any-LoA4` unless configured. */
  signatureProfile?: string;
  /** Prefix of generated AP_TransIDs (a letter first). */
  apTransIdPrefix?: string;
  /** Pause before the one retry; default 250 ms. */
  retryDelayMs?: number;
  clock?: () => Date;
  /** Observability hook; never receives phone numbers or credentials. */
  onEvent?: (event: MobileIdClientEvent) => void;
}

export type MobileIdClientEvent =
  | { type: 'response'; operation: MssOperation; httpStatus: number; durationMs: number; attempt: number }
  | { type: 'retry'; operation: MssOperation; code: string; providerCode: number | undefined; attempt: number };

export interface SignAsyncParams {
  msisdn: string;
  /** The exact DataToBeDisplayed (see `buildDtbd`); keep it to verify the CMS later. */
  dtbd: string;
  userLang: UserLang;
  geofencing?: boolean;
  signatureProfile?: string;
  timeoutSeconds?: number;
  app2appRedirectUri?: string;
}

function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw localError('invalid_request', 500, 'Mobile ID base URL is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw localError('invalid_request', 500, 'Mobile ID base URL must be http(s)');
  return url.toString().replace(/\/+$/, '').replace(/\/rest\/service$/, '');
}

/**
 * A request without an answer. Sent again once (a fresh AP_TransID) unless the TLS layer failed,
 * or unless it was an MSS Signature that may have reached Mobile ID: a second push would be
 * refused while the first is on the phone (SIM: fault 406) or cancel it (App: fault 401), 4.1.3.
 */
function networkError(operation: MssOperation, cause: unknown): MobileIdError {
  const failure = classifyTransportFailure(cause);
  const transient = failure.kind !== 'tls' && (operation !== 'signature' || failure.notSent);
  return localError('unavailable', 503, `${operation}: ${failure.detail}`, { transient, cause });
}

/** Mobile ID REST client: one instance per configuration, safe for concurrent use. */
export class MobileIdClient {
  private readonly baseUrl: string;
  private readonly apId: string;
  private readonly apPassword: string;
  private readonly agent: Agent;
  private readonly timeouts: Record<MssOperation, number>;
  private readonly nextTransId: () => string;
  private readonly clock: () => Date;
  private readonly retryDelayMs: number;
  private readonly onEvent: ((event: MobileIdClientEvent) => void) | undefined;
  readonly signatureProfile: string;

  constructor(options: MobileIdClientOptions) {
    if (options.apId.trim() === '') throw localError('invalid_request', 500, 'AP_ID is required');
    if ((options.clientCertPem === undefined) !== (options.clientKeyPem === undefined)) {
      throw localError('invalid_request', 500, 'client certificate and key must be configured together');
    }
    this.baseUrl = normaliseBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
    this.apId = options.apId;
    this.apPassword = options.apPassword ?? 'not-used';
    this.signatureProfile = options.signatureProfile ?? SIGNATURE_PROFILES.any;
    const t = options.requestTimeoutMs;
    this.timeouts = typeof t === 'number'
      ? { signature: t, status: t, receipt: t, profile: t }
      : { ...DEFAULT_REQUEST_TIMEOUT_MS, ...t };
    this.nextTransId = createApTransIdGenerator(options.apTransIdPrefix);
    this.clock = options.clock ?? (() => new Date());
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.onEvent = options.onEvent;
    const ca =
      options.caCertsPem === undefined
        ? [defaultServerCaPem()]
        : typeof options.caCertsPem === 'string'
          ? [options.caCertsPem]
          : [...options.caCertsPem];
    const longest = Math.max(...Object.values(this.timeouts));
    this.agent = createProviderAgent({
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      responseTimeoutMs: longest,
      ca,
      cert: options.clientCertPem,
      key: options.clientKeyPem,
    });
  }

  /** Start an asynchronous MSS Signature (3.2.3); poll `status` with the returned MSSP_TransID. */
  async signAsync(p: SignAsyncParams): Promise<SignatureAccepted> {
    const msisdn = toMsisdn(p.msisdn);
    assertDtbd(p.dtbd);
    return this.call('signature', (header) => {
      const body = buildSignatureRequest(header, {
        msisdn,
        dtbd: p.dtbd,
        userLang: p.userLang,
        signatureProfile: p.signatureProfile ?? this.signatureProfile,
        messagingMode: 'asynch',
        ...(p.geofencing !== undefined ? { geofencing: p.geofencing } : {}),
        ...(p.timeoutSeconds !== undefined ? { timeoutSeconds: p.timeoutSeconds } : {}),
        ...(p.app2appRedirectUri !== undefined ? { app2appRedirectUri: p.app2appRedirectUri } : {}),
      });
      return {
        body,
        process: (status, json) => {
          const r = processSignatureResponse(status, json, { apTransId: header.apTransId, msisdn });
          if (r.state !== 'accepted') throw malformed('MSS_SignatureResp: an asynchronous request was answered synchronously');
          return r;
        },
      };
    });
  }

  /** Poll an asynchronous signature (3.3): `outstanding` (504) or `signed` (500/502). */
  async status(p: { msspTransId: string; msisdn: string }): Promise<StatusResult> {
    const msisdn = toMsisdn(p.msisdn);
    return this.call('status', (header) => ({
      body: buildStatusRequest(header, p.msspTransId),
      process: (status, json) => processStatusResponse(status, json, { apTransId: header.apTransId, msisdn }),
    }));
  }

  /** Send a receipt after a successful signature (3.4). */
  async receipt(p: ReceiptParams): Promise<ReceiptResult> {
    const msisdn = toMsisdn(p.msisdn);
    return this.call('receipt', (header) => ({
      body: buildReceiptRequest(header, { ...p, msisdn }),
      process: (status, json) => processReceiptResponse(status, json, { apTransId: header.apTransId } satisfies ExpectedEcho),
    }));
  }

  /** Which Mobile ID methods the number has (3.5), without bothering the user. */
  async profile(msisdnInput: string): Promise<ProfileResult> {
    const msisdn = toMsisdn(msisdnInput);
    return this.call('profile', (header) => ({
      body: buildProfileRequest(header, msisdn),
      process: (status, json) => processProfileResponse(status, json, { apTransId: header.apTransId }),
    }));
  }

  /** Close the connection pool. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  private header(): RequestHeader {
    return { apId: this.apId, apPassword: this.apPassword, apTransId: this.nextTransId(), instant: formatInstant(this.clock()) };
  }

  private async call<T>(
    operation: MssOperation,
    prepare: (header: RequestHeader) => { body: unknown; process: (httpStatus: number, json: unknown) => T },
  ): Promise<T> {
    let last: MobileIdError | undefined;
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      // A fresh AP_TransID and Instant per attempt keeps the triplet unique.
      const { body, process } = prepare(this.header());
      try {
        const { httpStatus, json } = await this.post(operation, body, attempt);
        return process(httpStatus, json);
      } catch (error) {
        if (!(error instanceof MobileIdError) || !error.transient) throw error;
        last = error;
        if (attempt === 1) {
          this.onEvent?.({ type: 'retry', operation, code: error.code, providerCode: error.providerCode, attempt });
          if (this.retryDelayMs > 0) await sleep(this.retryDelayMs);
        }
      }
    }
    throw unavailable(operation, last);
  }

  private async post(operation: MssOperation, body: unknown, attempt: number): Promise<{ httpStatus: number; json: unknown }> {
    const started = performance.now();
    let response: ProviderResponse;
    try {
      response = await sendToProvider(this.agent, `${this.baseUrl}${MSS_PATHS[operation]}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=UTF-8', accept: 'application/json' },
        body: JSON.stringify(body),
        timeoutMs: this.timeouts[operation],
        maxResponseBytes: MAX_RESPONSE_BYTES,
      });
    } catch (cause) {
      throw cause instanceof ResponseTooLargeError ? malformed(cause.message) : networkError(operation, cause);
    }
    const durationMs = Math.round(performance.now() - started);
    this.onEvent?.({ type: 'response', operation, httpStatus: response.status, durationMs, attempt });
    return { httpStatus: response.status, json: parseJsonAnswer(response.text) };
  }
}

/** The error after the retry: `unavailable`, keeping a provider code (900) when there was one. */
function unavailable(operation: MssOperation, last: MobileIdError | undefined): MobileIdError {
  return new MobileIdError({
    code: 'unavailable',
    status: 503,
    messageKey: last?.providerCode === 900 ? 'mobileid.fault.900' : 'mobileid.error.unavailable',
    detail: `${operation}: failed twice; last: ${last?.detail ?? 'unknown'}`,
    ...(last?.providerCode !== undefined ? { providerCode: last.providerCode } : {}),
    ...(last?.providerReason !== undefined ? { providerReason: last.providerReason } : {}),
    cause: last,
  });
}
