/**
 * Request bodies, JSON answers, token comparison and HTML escaping for the simulators' routes (no
 * body-parser dependency): what every simulator does the same way. Messages and limits that differ
 * per simulator are passed in.
 */
import { timingSafeEqual } from 'node:crypto';

import type { ParameterizedContext } from 'koa';

export type AnyContext = ParameterizedContext;

/** A request the route refuses; the route answers with `status` and the message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Bodies up to this size, unless a simulator says otherwise. */
export const DEFAULT_BODY_LIMIT_BYTES = 256 * 1024;

/** The request body as text, read from the socket; HttpError 413 beyond `limitBytes`. */
export async function readRawBody(ctx: AnyContext, limitBytes: number, tooLargeMessage = 'Request body too large'): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > limitBytes) throw new HttpError(413, tooLargeMessage);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The raw request body as text (or what an upstream body parser already read). */
export async function readBodyText(ctx: AnyContext, limitBytes = DEFAULT_BODY_LIMIT_BYTES): Promise<string> {
  const parsed = (ctx.request as { body?: unknown }).body;
  if (typeof parsed === 'string') return parsed;
  if (parsed !== undefined) return JSON.stringify(parsed);
  return readRawBody(ctx, limitBytes);
}

/** A form post (application/x-www-form-urlencoded) as a plain record. */
export async function readFormBody(ctx: AnyContext, limitBytes = DEFAULT_BODY_LIMIT_BYTES): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new HttpError(415, 'Expected a form post');
  return Object.fromEntries(new URLSearchParams(await readBodyText(ctx, limitBytes)));
}

/** A submitted token or secret against the expected one, in constant time. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

export function sendJson(ctx: AnyContext, status: number, body: unknown, type = 'application/json'): void {
  ctx.status = status;
  ctx.type = `${type};charset=UTF-8`;
  ctx.body = JSON.stringify(body);
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
