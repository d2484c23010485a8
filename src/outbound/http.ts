/**
 * The HTTP client we use to call external providers (Mobile ID, SRS, Freja eID, UPI): an undici
 * Agent with mutual TLS and timeouts, one request whose answer is read up to a size limit, and a
 * classifier of what went wrong below HTTP (timeout, TLS, network).
 *
 * Nothing here knows a provider: each provider's client maps a `ResponseTooLargeError` or a
 * `TransportFailure` to its own error class and codes, and reads the answer with its own pure
 * `process*` functions.
 */
import { EventEmitter } from 'node:events';

import { Agent, request, type Dispatcher } from 'undici';

export interface ProviderAgentOptions {
  /** Connecting, TLS handshake included. */
  connectTimeoutMs: number;
  /** Waiting for the response headers, and for each part of the body. */
  responseTimeoutMs: number;
  /** PEM roots for the server certificate; Node's default roots when absent. */
  ca?: string | string[] | undefined;
  /** PEM client certificate (with `key`) for mutual TLS. */
  cert?: string | undefined;
  key?: string | undefined;
  /** Or a PKCS#12 keystore and its password, for mutual TLS. */
  pfx?: Buffer | undefined;
  passphrase?: string | undefined;
}

/** A connection pool that always checks the server certificate; one per provider configuration. */
export function createProviderAgent(o: ProviderAgentOptions): Agent {
  return new Agent({
    connect: {
      timeout: o.connectTimeoutMs,
      rejectUnauthorized: true,
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      ...(o.cert !== undefined ? { cert: o.cert, key: o.key } : {}),
      ...(o.pfx !== undefined ? { pfx: o.pfx, passphrase: o.passphrase ?? '' } : {}),
    },
    headersTimeout: o.responseTimeoutMs,
    bodyTimeout: o.responseTimeoutMs,
  });
}

export interface ProviderRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** For the whole exchange: connecting, sending and reading the answer. */
  timeoutMs: number;
  /** A longer answer is not read: ResponseTooLargeError. */
  maxResponseBytes: number;
}

export interface ProviderResponse {
  status: number;
  /** The body as UTF-8 text. */
  text: string;
}

/** The answer was longer than the caller accepts; its message says the limit. */
export class ResponseTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`response larger than ${sizeText(maxBytes)}`);
    this.name = 'ResponseTooLargeError';
  }
}

function sizeText(bytes: number): string {
  const MiB = 1024 * 1024;
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`;
}

/**
 * One request and its whole answer, whatever the HTTP status. Rejects with ResponseTooLargeError,
 * or with the error of the transport (see `classifyTransportFailure`).
 */
export async function sendToProvider(agent: Dispatcher, url: string, req: ProviderRequest): Promise<ProviderResponse> {
  // One timer for the whole exchange, cleared once it is over (an `AbortSignal.timeout` stays armed
  // for its full time after the answer: tens of thousands at once while many logins are polled).
  // undici takes an EventEmitter as the signal, far cheaper to make than an AbortController, and
  // rejects with its `reason`.
  const signal = new TimeoutSignal();
  const timer = setTimeout(() => signal.abort(), req.timeoutMs);
  try {
    const response = await request(url, {
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      dispatcher: agent,
      signal,
    });
    return { status: response.statusCode, text: await readAtMost(response.body, req.maxResponseBytes) };
  } finally {
    clearTimeout(timer);
  }
}

/** The abort signal of one exchange, in the form undici accepts besides an AbortSignal. */
class TimeoutSignal extends EventEmitter {
  aborted = false;
  reason: DOMException | undefined;

  abort(): void {
    this.reason = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    this.aborted = true;
    this.emit('abort');
  }
}

/** The body as text, or ResponseTooLargeError as soon as more than `maxBytes` have come. */
function readAtMost(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  // Events rather than `for await`: no async iterator and promise per answer and chunk, for
  // answers that come thousands of times a second while many logins are polled.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new ResponseTooLargeError(maxBytes));
        body.destroy();
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')));
    body.once('error', reject);
  });
}

/** A JSON answer; `undefined` when it is empty or not JSON (the `process*` functions then say why). */
export function parseJsonAnswer(text: string): unknown {
  if (!/\S/.test(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** What in an error's code or message names the TLS layer (handshake, certificate check). */
export const TLS_FAILURE = /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/i;

export interface TransportFailure {
  /** No (complete) answer in time; the TLS layer failed; anything else (refused, reset, DNS). */
  kind: 'timeout' | 'tls' | 'network';
  /** The error's `code` as text (`ECONNREFUSED`, `UND_ERR_CONNECT_TIMEOUT`, …); '' without one. */
  code: string;
  /** For the logs: `timeout`, `TLS failure` or `network error`, then the code in brackets. */
  detail: string;
  /**
   * The connection was never made (refused, no route, name not found, connect timeout), so the
   * request cannot have reached the provider: safe to send again even when it is not idempotent.
   */
  notSent: boolean;
}

/** Error codes of a connection that was never established. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

const KIND_TEXT: Record<TransportFailure['kind'], string> = { timeout: 'timeout', tls: 'TLS failure', network: 'network error' };

/** Why a request got no answer, from the error undici or Node rejected it with. */
export function classifyTransportFailure(cause: unknown, tlsPattern: RegExp = TLS_FAILURE): TransportFailure {
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : '';
  const name = cause instanceof Error ? cause.name : '';
  const timedOut = name === 'TimeoutError' || name === 'AbortError' || /TIMEOUT/.test(code);
  const kind = timedOut ? 'timeout' : tlsPattern.test(`${code} ${cause instanceof Error ? cause.message : ''}`) ? 'tls' : 'network';
  return { kind, code, detail: `${KIND_TEXT[kind]}${code ? ` (${code})` : ''}`, notSent: NOT_CONNECTED.has(code) };
}
