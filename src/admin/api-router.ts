/**
 * The admin JSON API, for automation (a client_credentials token with the `admin` scope) and for
 * the console's own use (the admin session cookie plus an `X-CSRF-Token` header on writes).
 *
 *   GET    /admin/api/{strengths,qors,qoas,lots}         → { items: [row] }
 *   POST   /admin/api/<kind>                              → 201 row
 *   GET    /admin/api/<kind>/:id                          → row
 *   PUT    /admin/api/<kind>/:id   (all fields)           → row
 *   PATCH  /admin/api/<kind>/:id   (the fields to change) → row
 *   DELETE /admin/api/<kind>/:id                          → 204
 *   GET    /admin/api/audit?subject=&action=&before=&limit= → { items: [event] }
 *   POST   /admin/api/users/lookup   { phone }             → user (the number in the body: it stays out of URLs and logs)
 *   GET    /admin/api/users/:id                            → user
 *   POST   /admin/api/users/:id/repin  { serial? }         → { user, before, after, verifications_rebound }
 *          without `serial`: to the serial of the user's most recent login
 *
 * Errors: 400 { error: 'invalid_row', fields: [{ field, code, message }] }, 401, 403, 404,
 * 409 { error: 'in_use', referenced_by, message } | { error: 'duplicate', fields };
 * users: 400 | 403 | 404 | 409 { error: 'invalid_phone' | 'invalid_serial' | 'own_account' |
 * 'not_found' | 'no_presented_serial' | 'unchanged', message }.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';

import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import { isDatabaseUnavailable, logUnavailable } from '../db/unavailable.js';
import type { Logger } from '../logger.js';
import { pickLocale, translate } from '../web/i18n.js';
import { RETRY_AFTER_SECONDS } from '../web/unavailable.js';
import { AUDIT_PAGE_MAX, listAudit } from './audit-log.js';
import { ADMIN_SCOPE, bearerPrincipal, checkSessionCsrf, sessionPrincipal, type Principal } from './auth.js';
import { failureMessage, fieldMessages } from './messages.js';
import { PolicyWriteError, type PolicyRows } from './policy-rows.js';
import { KINDS, SEGMENTS, type Kind } from './rows.js';
import { findUser, findUserByPhone, REPIN_ERROR_STATUS, repinSerial } from './users.js';

export interface AdminApiDeps {
  config: Config;
  db: Db;
  provider: Provider;
  rows: PolicyRows;
  log: Logger;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function apiLocale(ctx: Context) {
  return pickLocale({ acceptLanguage: (l) => ctx.acceptsLanguages(l), fallback: 'en' });
}

function reply(ctx: Context, status: number, body: unknown, authenticate?: string): void {
  ctx.status = status;
  ctx.body = body;
  if (authenticate) ctx.set('WWW-Authenticate', authenticate);
}

/** Row ids are positive 32-bit integers; anything else is a row that does not exist. */
export function rowId(raw: string | undefined): number | undefined {
  if (!raw || !/^[1-9]\d{0,9}$/.test(raw)) return undefined;
  const id = Number(raw);
  return id <= 2_147_483_647 ? id : undefined;
}

export function adminApiRouter(deps: AdminApiDeps): Router {
  const { config, db, provider, rows, log } = deps;
  const secret = config.cookieSecrets[0]!;
  const router = new Router({ prefix: '/admin/api' });

  router.use(async (ctx: Context, next: Next) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (err) {
      const locale = apiLocale(ctx);
      if (err instanceof PolicyWriteError) {
        const f = err.failure;
        if (f.error === 'invalid_row') return reply(ctx, 400, { error: f.error, fields: fieldMessages(f.fields, locale) });
        if (f.error === 'duplicate') return reply(ctx, 409, { error: f.error, fields: fieldMessages(f.fields, locale) });
        if (f.error === 'in_use') return reply(ctx, 409, { error: f.error, referenced_by: f.referencedBy, message: failureMessage(f, locale) });
        return reply(ctx, 404, { error: 'not_found' });
      }
      const status = (err as { status?: unknown }).status;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return reply(ctx, status, { error: 'invalid_request', message: (err as Error).message });
      }
      if (isDatabaseUnavailable(err)) {
        logUnavailable((ctx.state.log as Logger | undefined) ?? log, err);
        ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
        return reply(ctx, 503, { error: 'temporarily_unavailable', message: translate(locale, 'error.unavailable'), request_id: ctx.state.requestId });
      }
      ((ctx.state.log as Logger | undefined) ?? log).error({ err }, 'admin api failed');
      reply(ctx, 500, { error: 'server_error', request_id: ctx.state.requestId });
    }
  });

  router.use(async (ctx: Context, next: Next) => {
    const bearer = await bearerPrincipal(ctx, provider);
    let principal: Principal;
    if (bearer.state === 'invalid') {
      return reply(ctx, 401, { error: 'invalid_token' }, 'Bearer realm="admin", error="invalid_token"');
    } else if (bearer.state === 'insufficient_scope') {
      return reply(ctx, 403, { error: 'insufficient_scope', scope: ADMIN_SCOPE }, `Bearer realm="admin", error="insufficient_scope", scope="${ADMIN_SCOPE}"`);
    } else if (bearer.state === 'ok') {
      principal = bearer.principal;
    } else {
      const session = await sessionPrincipal(ctx, db);
      if (session.state === 'none') return reply(ctx, 401, { error: 'unauthorized' }, 'Bearer realm="admin"');
      if (session.state === 'forbidden') return reply(ctx, 403, { error: 'forbidden' });
      principal = session.principal;
      // A cookie rides along with any request the browser makes: writes must prove they come from the console.
      if (!SAFE_METHODS.has(ctx.method) && !checkSessionCsrf(secret, session.principal.session, ctx.get('x-csrf-token'))) {
        return reply(ctx, 403, { error: 'csrf' });
      }
    }
    ctx.state.admin = principal;
    await next();
  });

  router.use(bodyParser({ enableTypes: ['json'], jsonLimit: '64kb' }));

  const actor = (ctx: Context) => (ctx.state.admin as Principal).actor;
  const idOf = (ctx: Context) => {
    const id = rowId(ctx.params.id);
    if (id === undefined) throw new PolicyWriteError({ error: 'not_found' });
    return id;
  };

  for (const kind of KINDS) mountKind(router, kind);

  function mountKind(r: Router, kind: Kind) {
    const base = `/${SEGMENTS[kind]}`;
    r.get(base, async (ctx) => {
      ctx.body = { items: await rows.list(kind) };
    });
    r.post(base, async (ctx) => {
      const row = await rows.create(kind, ctx.request.body, actor(ctx));
      ctx.status = 201;
      ctx.set('Location', `/admin/api${base}/${row.id}`);
      ctx.body = row;
    });
    r.get(`${base}/:id`, async (ctx) => {
      const row = await rows.get(kind, idOf(ctx));
      if (!row) throw new PolicyWriteError({ error: 'not_found' });
      ctx.body = row;
    });
    r.put(`${base}/:id`, async (ctx) => {
      ctx.body = await rows.update(kind, idOf(ctx), ctx.request.body, actor(ctx));
    });
    r.patch(`${base}/:id`, async (ctx) => {
      ctx.body = await rows.update(kind, idOf(ctx), ctx.request.body, actor(ctx), { partial: true });
    });
    r.delete(`${base}/:id`, async (ctx) => {
      await rows.remove(kind, idOf(ctx), actor(ctx));
      ctx.status = 204;
    });
  }

  router.get('/audit', async (ctx) => {
    const q = ctx.query;
    const text = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 300 ? v : undefined);
    const int = (v: unknown) => (typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : undefined);
    ctx.body = {
      items: await listAudit(db, {
        subject: text(q.subject),
        action: text(q.action),
        beforeId: int(q.before),
        limit: Math.min(int(q.limit) ?? 100, AUDIT_PAGE_MAX),
      }),
    };
  });

  // ------------------------------------------------------------------ users

  const userError = (ctx: Context, status: number, error: string) => reply(ctx, status, { error, message: translate(apiLocale(ctx), `admin.user.error.${error}`) });

  router.post('/users/lookup', async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const found = await findUserByPhone(db, body.phone, config.mobileId.defaultCountryCode);
    if ('error' in found) return userError(ctx, found.error === 'invalid_phone' ? 400 : 404, found.error);
    ctx.body = found.user;
  });

  router.get('/users/:id', async (ctx) => {
    const user = await findUser(db, ctx.params.id!);
    if (!user) return userError(ctx, 404, 'not_found');
    ctx.body = user;
  });

  router.post('/users/:id/repin', async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const principal = ctx.state.admin as Principal;
    const outcome = await repinSerial(db, ctx.params.id!, {
      serial: body.serial,
      actor: principal.actor,
      actorAccountId: principal.via === 'session' ? principal.account.id : undefined,
    });
    if (!outcome.ok) return userError(ctx, REPIN_ERROR_STATUS[outcome.error], outcome.error);
    ctx.body = { user: outcome.user, before: outcome.before, after: outcome.after, verifications_rebound: outcome.verificationsRebound };
  });

  return router;
}
