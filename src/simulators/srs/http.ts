/** Request bodies of the SRS simulator's routes, with SRS's own messages. */
import { HttpError, readRawBody, type AnyContext } from '../shared/http.js';

const BODY_LIMIT_BYTES = 256 * 1024;

function readText(ctx: AnyContext): Promise<string> {
  return readRawBody(ctx, BODY_LIMIT_BYTES, 'request body too large');
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
