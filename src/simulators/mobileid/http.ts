/** Request bodies and JSON answers of the Mobile ID simulator: bodies up to 1 MB, JSON keys in ASCII order. */
import { readBodyText, readFormBody as readForm, sendJson as sendJsonAsIs, type AnyContext } from '../shared/http.js';
import { sortKeysDeep } from './responses.js';

const BODY_LIMIT_BYTES = 1_000_000;

/** Parse a JSON body; `undefined` when it is not JSON at all. */
export async function readJsonBody(ctx: AnyContext): Promise<{ value: unknown } | undefined> {
  const text = await readBodyText(ctx, BODY_LIMIT_BYTES);
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** A form post (application/x-www-form-urlencoded) as a plain record. */
export async function readFormBody(ctx: AnyContext): Promise<Record<string, string>> {
  return readForm(ctx, BODY_LIMIT_BYTES);
}

/** JSON with keys in ASCII order, as the Mobile ID service sends it. */
export function sendJson(ctx: AnyContext, status: number, body: unknown): void {
  sendJsonAsIs(ctx, status, sortKeysDeep(body));
}
