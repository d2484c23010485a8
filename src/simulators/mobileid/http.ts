/** Request body reading and JSON answers for the simulator's routes (no body-parser dependency). */
import type { ParameterizedContext } from 'koa';

import { sortKeysDeep } from './responses.js';

const BODY_LIMIT_BYTES = 1_000_000;

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

/** The raw request body as text (or what an upstream body parser already read). */
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

/** Parse a JSON body; `undefined` when it is not JSON at all. */
export async function readJsonBody(ctx: AnyContext): Promise<{ value: unknown } | undefined> {
  const text = await readBodyText(ctx);
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** A form post (application/x-www-form-urlencoded) as a plain record. */
export async function readFormBody(ctx: AnyContext): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new BodyError(415, 'Expected a form post');
  return Object.fromEntries(new URLSearchParams(await readBodyText(ctx)));
}

/** JSON with keys in ASCII order, as the Mobile ID service sends it. */
export function sendJson(ctx: AnyContext, status: number, body: unknown): void {
  ctx.status = status;
  ctx.type = 'application/json;charset=UTF-8';
  ctx.body = JSON.stringify(sortKeysDeep(body));
}
