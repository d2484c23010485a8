/**
 * The I/O side of Freja eID: POST the bodies of `protocol.ts` to the relying-party REST API over
 * undici with mutual TLS (the relying party's client certificate, PEM or PKCS#12, as Freja issues
 * it), a timeout on every call, and hand the answers to the pure `process*Response` functions.
 *
 * Nothing is retried here: a failed result query is simply asked again at the next poll, and an
 * initiation is never sent twice behind the user's back.
 */
import type { Agent } from 'undici';

import { classifyTransportFailure, createProviderAgent, parseJsonAnswer, ResponseTooLargeError, sendToProvider } from '../../outbound/http.js';
import { FrejaError, malformed, unavailable } from './errors.js';
import { AUTH_PATHS, buildInitAuthRequest, DEFAULT_BASE_URL, encodeBody, type FrejaOperation, type InitAuthParams } from './protocol.js';
import { processCancelResponse, processInitResponse, processResultResponse, type AuthResultEnvelope, type InitAuthAccepted } from './responses.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 256 * 1024;

export interface FrejaClientOptions {
  /** `https://services.prod.frejaeid.com` by default. */
  baseUrl?: string;
  /** Client certificate and key (PEM) for mutual TLS. */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** Or the PKCS#12 keystore Freja issues, with its password. */
  clientPfx?: Buffer;
  clientPfxPassword?: string;
  /** PEM roots for Freja's server certificate; the system roots when absent. */
  serverCaPem?: string;
  /** Per call (connect + answer), default 10 s. */
  timeoutMs?: number;
  /** Integrators only: the relying party the request is made for. */
  relyingPartyId?: string;
  /** Observability hook; never receives personal data. */
  onEvent?: (event: FrejaClientEvent) => void;
}

export type FrejaClientEvent =
  | { type: 'response'; operation: FrejaOperation; httpStatus: number; durationMs: number }
  | { type: 'failure'; operation: FrejaOperation; reason: string; durationMs: number };

/** The three calls the verification needs (an interface, so the journey is tested without HTTP). */
export interface FrejaApi {
  initAuthentication(p: InitAuthParams): Promise<InitAuthAccepted>;
  getOneResult(authRef: string): Promise<AuthResultEnvelope>;
  cancel(authRef: string): Promise<void>;
  close(): Promise<void>;
}

function networkError(operation: FrejaOperation, cause: unknown): FrejaError {
  return unavailable(`${operation}: ${classifyTransportFailure(cause).detail}`, cause);
}

function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FrejaError({ code: 'invalid_request', status: 500, messageKey: 'verification.freja.unavailable', detail: 'Freja base URL is not a URL' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new FrejaError({ code: 'invalid_request', status: 500, messageKey: 'verification.freja.unavailable', detail: 'Freja base URL must be http(s)' });
  }
  return url.toString().replace(/\/+$/, '');
}

export class FrejaClient implements FrejaApi {
  private readonly baseUrl: string;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly relyingPartyId: string | undefined;
  private readonly onEvent: ((event: FrejaClientEvent) => void) | undefined;

  constructor(options: FrejaClientOptions = {}) {
    if ((options.clientCertPem === undefined) !== (options.clientKeyPem === undefined)) {
      throw new FrejaError({ code: 'invalid_request', status: 500, messageKey: 'verification.freja.unavailable', detail: 'client certificate and key must be configured together' });
    }
    this.baseUrl = normaliseBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.relyingPartyId = options.relyingPartyId;
    this.onEvent = options.onEvent;
    this.agent = createProviderAgent({
      connectTimeoutMs: this.timeoutMs,
      responseTimeoutMs: this.timeoutMs,
      ca: options.serverCaPem,
      cert: options.clientCertPem,
      key: options.clientKeyPem,
      pfx: options.clientPfx,
      passphrase: options.clientPfxPassword,
    });
  }

  async initAuthentication(p: InitAuthParams): Promise<InitAuthAccepted> {
    const { httpStatus, json } = await this.post('init', buildInitAuthRequest(p));
    return processInitResponse(httpStatus, json);
  }

  async getOneResult(authRef: string): Promise<AuthResultEnvelope> {
    const { httpStatus, json } = await this.post('getOneResult', { authRef });
    return processResultResponse(httpStatus, json, authRef);
  }

  async cancel(authRef: string): Promise<void> {
    const { httpStatus, json } = await this.post('cancel', { authRef });
    processCancelResponse(httpStatus, json);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async post(operation: FrejaOperation, payload: unknown): Promise<{ httpStatus: number; json: unknown }> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      // The official client sends this content type with the form-like body; Freja expects it.
      const response = await sendToProvider(this.agent, `${this.baseUrl}${AUTH_PATHS[operation]}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: encodeBody(operation, payload, this.relyingPartyId),
        timeoutMs: this.timeoutMs,
        maxResponseBytes: MAX_RESPONSE_BYTES,
      });
      this.onEvent?.({ type: 'response', operation, httpStatus: response.status, durationMs: elapsed() });
      return { httpStatus: response.status, json: parseJsonAnswer(response.text) };
    } catch (cause) {
      const error = cause instanceof ResponseTooLargeError ? malformed(cause.message) : networkError(operation, cause);
      this.onEvent?.({ type: 'failure', operation, reason: error.detail ?? error.code, durationMs: elapsed() });
      throw error;
    }
  }
}
