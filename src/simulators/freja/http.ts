/** Request bodies and JSON answers for the simulator's routes (no body-parser dependency). */
import type { ParameterizedContext } from 'koa';

const BODY_LIMIT_BYTES = 256 * 1024;

export type AnyContext = ParameterizedContext;

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

export async function readBodyText(ctx: AnyContext): Promise<string> {
  const parsed = (ctx.request as { body?: unknown }).body;
  if (typeof parsed === 'string') return parsed;
  if (parsed !== undefined) return JSON.stringify(parsed);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > BODY_LIMIT_BYTES) throw new BodyError(413, 'Request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readFormBody(ctx: AnyContext): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new BodyError(415, 'Expected a form post');
  return Object.fromEntries(new URLSearchParams(await readBodyText(ctx)));
}

export async function readJsonObject(ctx: AnyContext): Promise<Record<string, unknown>> {
  // Requiring JSON keeps cross-site form posts (no preflight) away from the control API.
  if (!ctx.is('application/json')) throw new BodyError(415, 'Expected application/json');
  let value: unknown;
  try {
    value = JSON.parse(await readBodyText(ctx));
  } catch {
    throw new BodyError(400, 'Expected a JSON object');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BodyError(400, 'Expected a JSON object');
  return value as Record<string, unknown>;
}

export function sendJson(ctx: AnyContext, status: number, body: unknown): void {
  ctx.status = status;
  ctx.type = 'application/json;charset=UTF-8';
  ctx.body = JSON.stringify(body);
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
