/**
 * The I/O side of the UPI query service: POST a SOAP 1.1 envelope with the eCH-0214 request to the
 * configured endpoint over undici (mutual TLS when a client certificate is configured, the server
 * checked against the configured CA), and hand the answer to `processGetInfoPersonResponse`.
 *
 * One attempt per check: a query that failed is repeated by the user, who stays on the step-up
 * page with nothing lost.
 */
import crypto from 'node:crypto';

import type { Agent } from 'undici';

import { classifyTransportFailure, createProviderAgent, ResponseTooLargeError, sendToProvider, type ProviderResponse } from '../../outbound/http.js';
import { malformed, UpiError } from './errors.js';
import { buildGetInfoPersonRequest, soap11Envelope, SOAP11_HEADERS, type ResponseLanguage } from './protocol.js';
import { processGetInfoPersonResponse, type UpiLookup } from './responses.js';

export const DEFAULT_UPI_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 512 * 1024;

export interface UpiClientOptions {
  /** The querySpid endpoint (the WSDL's soap:address). */
  url: string;
  senderId: string;
  spidCategory: string;
  testDeliveryFlag: boolean;
  /** PEM client certificate and key for mutual TLS. */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** PEM roots for the server certificate; Node's default roots when absent. */
  caCertsPem?: string;
  /** Whole request (connect, send, answer); the connection alone gets at most this too. */
  timeoutMs?: number;
  clock?: () => Date;
  /** Observability hook; never receives AHV numbers. */
  onEvent?: (event: UpiClientEvent) => void;
}

export type UpiClientEvent = { type: 'response'; httpStatus: number; durationMs: number } | { type: 'failure'; code: string; durationMs: number };

/** Anything that can look a number up (the client, or a test double). */
export interface UpiRegister {
  getInfoPerson(vn: string, language: ResponseLanguage): Promise<UpiLookup>;
  close(): Promise<void>;
}

/** The TLS layer, as for every provider, and also a handshake failure that names nothing else. */
const TLS_FAILURE = /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|HANDSHAKE/i;

function networkError(cause: unknown, timeoutMs: number): UpiError {
  const failure = classifyTransportFailure(cause, TLS_FAILURE);
  if (failure.kind === 'timeout') {
    return new UpiError('timeout', `no answer within ${timeoutMs} ms${failure.code ? ` (${failure.code})` : ''}`, { status: 504, cause });
  }
  return new UpiError('unavailable', failure.detail, { status: 503, cause });
}

export class UpiClient implements UpiRegister {
  private readonly url: string;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly clock: () => Date;

  constructor(private readonly options: UpiClientOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError('UPI URL is not a URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('UPI URL must be http(s)');
    if ((options.clientCertPem === undefined) !== (options.clientKeyPem === undefined)) {
      throw new TypeError('UPI client certificate and key must be configured together');
    }
    this.url = url.toString();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_UPI_TIMEOUT_MS;
    this.clock = options.clock ?? (() => new Date());
    this.agent = createProviderAgent({
      connectTimeoutMs: this.timeoutMs,
      responseTimeoutMs: this.timeoutMs,
      ca: options.caCertsPem,
      cert: options.clientCertPem,
      key: options.clientKeyPem,
    });
  }

  /** Asks the register about one AHV number (13 digits, already validated). */
  async getInfoPerson(vn: string, language: ResponseLanguage): Promise<UpiLookup> {
    const messageId = crypto.randomUUID();
    const body = soap11Envelope(
      buildGetInfoPersonRequest({
        senderId: this.options.senderId,
        messageId,
        spidCategory: this.options.spidCategory,
        vn,
        responseLanguage: language,
        messageDate: this.clock(),
        testDeliveryFlag: this.options.testDeliveryFlag,
      }),
    );
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let answer: ProviderResponse;
    try {
      answer = await sendToProvider(this.agent, this.url, {
        method: 'POST',
        headers: SOAP11_HEADERS,
        body,
        timeoutMs: this.timeoutMs,
        maxResponseBytes: MAX_RESPONSE_BYTES,
      });
    } catch (cause) {
      const error = cause instanceof ResponseTooLargeError ? malformed(cause.message) : networkError(cause, this.timeoutMs);
      this.options.onEvent?.({ type: 'failure', code: error.code, durationMs: elapsed() });
      throw error;
    }
    this.options.onEvent?.({ type: 'response', httpStatus: answer.status, durationMs: elapsed() });
    return processGetInfoPersonResponse(answer.status, answer.text, { messageId, vn });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
