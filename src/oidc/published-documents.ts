/**
 * The discovery document and the JWKS are the same for every request a process serves: the
 * configuration is loaded at start. So the provider renders each once, and later requests get the
 * same bytes and headers without building and serialising them again. A document given as `live`
 * (the JWKS, read again from the database now and then: src/oidc/keys.ts) replaces the body
 * whenever it changes, so that a key rotation is published by every instance, also by those not
 * restarted yet.
 *
 * Requests carrying an Origin header always go to the provider, whose CORS answer depends on it
 * (with the body of a live document).
 */
import type { Middleware } from 'koa';

interface Rendered {
  body: string;
  headers: [string, string][];
  /** The live document the body was made from. */
  source?: unknown;
}

/** A document whose current version comes from elsewhere; undefined: the provider's. */
export interface LiveDocument {
  current(): unknown;
}

/** Headers set before the provider runs or per response, never replayed. */
const PER_REQUEST = new Set(['x-request-id', 'content-length']);

export function publishedDocuments(paths: readonly string[], live: Readonly<Record<string, LiveDocument>> = {}): Middleware {
  const rendered = new Map<string, Rendered>();
  const served = new Set(paths);
  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || !served.has(ctx.path)) return next();
    const current = live[ctx.path]?.current();
    if (ctx.get('Origin')) {
      await next();
      if (current !== undefined && ctx.status === 200) ctx.body = current;
      return;
    }
    const hit = rendered.get(ctx.path);
    if (hit) {
      if (current !== undefined && current !== hit.source) {
        hit.body = JSON.stringify(current);
        hit.source = current;
      }
      for (const [name, value] of hit.headers) ctx.set(name, value);
      ctx.body = hit.body;
      return;
    }
    await next();
    if (ctx.status !== 200 || !ctx.body || typeof ctx.body !== 'object' || Buffer.isBuffer(ctx.body)) return;
    const body = JSON.stringify(current ?? ctx.body);
    const headers = Object.entries(ctx.response.headers)
      .filter(([name]) => !PER_REQUEST.has(name.toLowerCase()))
      .map(([name, value]): [string, string] => [name, Array.isArray(value) ? value.join(', ') : String(value)]);
    rendered.set(ctx.path, { body, headers, ...(current !== undefined ? { source: current } : {}) });
    ctx.body = body;
  };
}
