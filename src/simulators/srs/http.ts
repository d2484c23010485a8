/** Body reading and JSON answers for the SRS simulator's routes (no body-parser dependency). */
import type { ParameterizedContext } from 'koa';

const BODY_LIMIT_BYTES = 256 * 1024;

export type AnyContext = ParameterizedContext;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export async function readText(ctx: AnyContext): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > BODY_LIMIT_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON object body (any `+json` media type). */
export async function readJsonObject(ctx: AnyContext): Promise<Record<string, unknown>> {
  if (!/json/.test(ctx.get('content-type'))) throw new HttpError(415, 'expected a JSON body');
  let value: unknown;
  try {
    value = JSON.parse(await readText(ctx)) as unknown;
  } catch {
    throw new HttpError(400, 'malformed JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'expected a JSON object');
  return value as Record<string, unknown>;
}

export async function readForm(ctx: AnyContext): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new HttpError(415, 'expected a form post');
  return Object.fromEntries(new URLSearchParams(await readText(ctx)));
}

export function sendJson(ctx: AnyContext, status: number, body: unknown, type = 'application/json'): void {
  ctx.status = status;
  ctx.type = `${type};charset=UTF-8`;
  ctx.body = JSON.stringify(body);
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
