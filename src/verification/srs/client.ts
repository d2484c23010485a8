/**
 * The I/O side of SRS: OAuth2 client credentials (token cached until shortly before it expires),
 * the method catalogue (cached), starting an identification, its status, and the RAS verify
 * call. Every call has a timeout; answers go to the pure `process*` functions of responses.ts.
 */
import type { Agent } from 'undici';

import { classifyTransportFailure, createProviderAgent, parseJsonAnswer, ResponseTooLargeError, sendToProvider, type ProviderResponse } from '../../outbound/http.js';
import { SrsError } from './errors.js';
import { buildVerifyRequest, RAS_MEDIA_TYPE, SRS_MEDIA_TYPE, type VerifyParams } from './requests.js';
import {
  processCatalogueResponse,
  processIdentificationResponse,
  processStartResponse,
  processTokenResponse,
  processVerifyResponse,
  type CatalogueEntry,
  type IdentificationStatus,
  type StartResult,
  type VerifyResult,
} from './responses.js';

const MAX_RESPONSE_BYTES = 512 * 1024;
/** A token is renewed this long before it expires. */
const TOKEN_MARGIN_MS = 30_000;

export interface SrsClientOptions {
  /** Base URL of the SRS API (`<url>/api/providers`, `<url>/api/identifications/{refId}`). */
  url: string;
  tokenUrl: string;
  /** Base URL of RAS (`<rasUrl>/api/evidences/verify`). */
  rasUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  timeoutMs: number;
  catalogueCacheSeconds: number;
  clientCertPem?: string | undefined;
  clientKeyPem?: string | undefined;
  caCertsPem?: string | undefined;
  now?: () => number;
  /** Observability: operation, HTTP status and duration; never tokens or personal data. */
  onEvent?: (e: { operation: string; httpStatus?: number; code?: string; durationMs: number }) => void;
}

type Operation = 'token' | 'catalogue' | 'start' | 'status' | 'verify';

function trimBase(url: string): string {
  return url.replace(/\/+$/, '');
}

function networkError(operation: Operation, cause: unknown): SrsError {
  const { kind, code } = classifyTransportFailure(cause);
  // SRS details name only textual codes (a DOMException's legacy number is left out), and a TLS
  // failure counts as a network error.
  const named = typeof (cause as { code?: unknown } | null | undefined)?.code === 'string' ? code : '';
  return new SrsError({
    code: 'unavailable',
    detail: `${operation}: ${kind === 'timeout' ? 'timeout' : 'network error'}${named ? ` (${named})` : ''}`,
    cause,
  });
}

/** RFC 6749 2.3.1: client id and secret are form-urlencoded before Basic encoding. */
function basicAuth(id: string, secret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

export class SrsClient {
  private readonly agent: Agent;
  private readonly now: () => number;
  private token: { value: string; expiresAt: number } | undefined;
  private pendingToken: Promise<string> | undefined;
  private readonly catalogueCache = new Map<string, { expiresAt: number; entries: Promise<CatalogueEntry[]> }>();

  constructor(private readonly o: SrsClientOptions) {
    this.now = o.now ?? Date.now;
    this.agent = createProviderAgent({
      connectTimeoutMs: o.timeoutMs,
      responseTimeoutMs: o.timeoutMs,
      ...(o.caCertsPem ? { ca: o.caCertsPem } : {}),
      ...(o.clientCertPem && o.clientKeyPem ? { cert: o.clientCertPem, key: o.clientKeyPem } : {}),
    });
  }

  /** The catalogue of identification methods for these filters (cached). */
  async catalogue(filters: Record<string, string>): Promise<CatalogueEntry[]> {
    const query = new URLSearchParams(Object.entries(filters).sort(([a], [b]) => a.localeCompare(b))).toString();
    const cached = this.catalogueCache.get(query);
    if (cached && cached.expiresAt > this.now()) return cached.entries;
    const entries = this.authorized('catalogue', 'GET', `${trimBase(this.o.url)}/api/providers${query ? `?${query}` : ''}`, undefined).then(({ status, json }) =>
      processCatalogueResponse(status, json),
    );
    if (this.o.catalogueCacheSeconds > 0) {
      this.catalogueCache.set(query, { expiresAt: this.now() + this.o.catalogueCacheSeconds * 1000, entries });
      // A failed fetch is not cached.
      entries.catch(() => this.catalogueCache.delete(query));
    }
    return entries;
  }

  /** POST /api/providers/{issuer}/{method}: refId and the partner's targetURL. */
  async start(issuer: string, method: string, body: Record<string, string>): Promise<StartResult> {
    const url = `${trimBase(this.o.url)}/api/providers/${encodeURIComponent(issuer)}/${encodeURIComponent(method)}`;
    const { status, json } = await this.authorized('start', 'POST', url, body);
    return processStartResponse(status, json, { allowHttp: new URL(this.o.url).protocol === 'http:' });
  }

  /** GET /api/identifications/{refId}. */
  async identification(refId: string): Promise<IdentificationStatus> {
    const { status, json } = await this.authorized('status', 'GET', `${trimBase(this.o.url)}/api/identifications/${encodeURIComponent(refId)}`, undefined);
    return processIdentificationResponse(status, json, refId);
  }

  /** The verify call (RAS, no authentication): is there evidence for this number and person? */
  async verify(params: VerifyParams): Promise<VerifyResult> {
    const { status, json } = await this.send('verify', `${trimBase(this.o.rasUrl)}/api/evidences/verify`, {
      method: 'POST',
      headers: { accept: `${RAS_MEDIA_TYPE}, application/json`, 'content-type': 'application/json' },
      body: JSON.stringify(buildVerifyRequest(params)),
    });
    return processVerifyResponse(status, json);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** A call with the bearer token; a refused token is renewed once. */
  private async authorized(operation: Operation, method: 'GET' | 'POST', url: string, body: Record<string, string> | undefined) {
    for (let attempt = 1; ; attempt += 1) {
      const token = await this.accessToken();
      const res = await this.send(operation, url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: `${SRS_MEDIA_TYPE}, application/json`,
          ...(body ? { 'content-type': SRS_MEDIA_TYPE } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      if (res.status === 401 && attempt === 1) {
        this.token = undefined;
        continue;
      }
      return res;
    }
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt - TOKEN_MARGIN_MS > this.now()) return this.token.value;
    this.pendingToken ??= this.fetchToken().finally(() => {
      this.pendingToken = undefined;
    });
    return this.pendingToken;
  }

  private async fetchToken(): Promise<string> {
    const { status, json } = await this.send('token', this.o.tokenUrl, {
      method: 'POST',
      headers: {
        authorization: basicAuth(this.o.clientId, this.o.clientSecret),
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: this.o.scope }).toString(),
    });
    const result = processTokenResponse(status, json);
    this.token = { value: result.accessToken, expiresAt: this.now() + result.expiresIn * 1000 };
    return result.accessToken;
  }

  private async send(
    operation: Operation,
    url: string,
    init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  ): Promise<{ status: number; json: unknown }> {
    const started = performance.now();
    try {
      let response: ProviderResponse;
      try {
        response = await sendToProvider(this.agent, url, { ...init, timeoutMs: this.o.timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES });
      } catch (cause) {
        throw cause instanceof ResponseTooLargeError ? new SrsError({ code: 'malformed_response', detail: cause.message }) : networkError(operation, cause);
      }
      this.o.onEvent?.({ operation, httpStatus: response.status, durationMs: Math.round(performance.now() - started) });
      return { status: response.status, json: parseJsonAnswer(response.text) };
    } catch (err) {
      if (err instanceof SrsError) this.o.onEvent?.({ operation, code: err.code, durationMs: Math.round(performance.now() - started) });
      throw err;
    }
  }
}
