/**
 * The discovery document and the JWKS are the same for every request a process serves: the
 * signing keys and the configuration they are built from are loaded at start (a key rotation takes
 * effect when the instances restart, see src/oidc/keys.ts). So the provider renders each once, and
 * later requests get the same bytes and headers without building and serialising them again.
 *
 * Requests carrying an Origin header always go to the provider, whose CORS answer depends on it.
 */
import type { Middleware } from 'koa';

interface Rendered {
  body: string;
  headers: [string, string][];
}

/** Headers set before the provider runs or per response, never replayed. */
const PER_REQUEST = new Set(['x-request-id', 'content-length']);

export function publishedDocuments(paths: readonly string[]): Middleware {
  const rendered = new Map<string, Rendered>();
  const served = new Set(paths);
  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || !served.has(ctx.path) || ctx.get('Origin')) return next();
    const hit = rendered.get(ctx.path);
    if (hit) {
      for (const [name, value] of hit.headers) ctx.set(name, value);
      ctx.body = hit.body;
      return;
    }
    await next();
    if (ctx.status !== 200 || !ctx.body || typeof ctx.body !== 'object' || Buffer.isBuffer(ctx.body)) return;
    const body = JSON.stringify(ctx.body);
    const headers = Object.entries(ctx.response.headers)
      .filter(([name]) => !PER_REQUEST.has(name.toLowerCase()))
      .map(([name, value]): [string, string] => [name, Array.isArray(value) ? value.join(', ') : String(value)]);
    rendered.set(ctx.path, { body, headers });
    ctx.body = body;
  };
}
