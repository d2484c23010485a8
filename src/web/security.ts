/**
 * Cross-cutting HTTP middleware: request id, access log, security headers (CSP with
 * frame-ancestors 'none' on every response), and the static stylesheet.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { Context, Next } from 'koa';

import type { Logger } from '../logger.js';

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** On every response. */
const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['Content-Security-Policy', CSP],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
];

const REQUEST_ID = /^[\w.-]{1,64}$/;
/** Paths whose successful requests are logged at debug: public metadata (discovery, JWKS), health, static files. */
const QUIET_PATHS = /^\/(?:\.well-known\/|jwks$|healthz$|readyz$|static\/)/;
const ROUTINE = Symbol('routine request');

/**
 * Marks a request as routine: when it succeeds, its access line is logged at debug, like those of
 * the quiet paths (for a route that pages call every second or two and that says nothing new).
 */
export function markRoutine(ctx: Context): void {
  (ctx.state as Record<symbol, unknown>)[ROUTINE] = true;
}

export function requestContext(log: Logger) {
  return async function requestContextMiddleware(ctx: Context, next: Next): Promise<void> {
    const incoming = ctx.get('x-request-id');
    const id = REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    ctx.state.requestId = id;
    // The request's logger is made on first use: most requests log one line only.
    let child: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', { get: () => (child ??= log.child({ reqId: id })), configurable: true, enumerable: true });
    // On Node's response directly: koa's `ctx.set` builds arrays for each header, on every request.
    const res = ctx.res;
    res.setHeader('X-Request-Id', id);
    for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
    if (ctx.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    const started = performance.now();
    try {
      await next();
    } finally {
      // Successful frequent requests that say nothing new about a login are logged at debug.
      const routine = (ctx.state as Record<symbol, unknown>)[ROUTINE] === true || QUIET_PATHS.test(ctx.path);
      const level = ctx.status < 400 && routine ? 'debug' : 'info';
      if (log.isLevelEnabled(level)) {
        log[level](
          { reqId: id, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round((performance.now() - started) * 10) / 10 },
          'request',
        );
      }
    }
  };
}

const STATIC_DIR = fileURLToPath(new URL('../../views/static/', import.meta.url));
const STATIC_FILES = new Map<string, { type: string; body: Buffer }>(
  fs
    .readdirSync(STATIC_DIR)
    .map((name) => [
      `/static/${name}`,
      { type: name.endsWith('.css') ? 'text/css' : name.endsWith('.js') ? 'application/javascript' : 'application/octet-stream', body: fs.readFileSync(`${STATIC_DIR}${name}`) },
    ]),
);

export async function staticFiles(ctx: Context, next: Next): Promise<void> {
  const file = ctx.method === 'GET' || ctx.method === 'HEAD' ? STATIC_FILES.get(ctx.path) : undefined;
  if (!file) return next();
  ctx.type = file.type;
  ctx.set('Cache-Control', 'public, max-age=3600');
  ctx.body = file.body;
}
