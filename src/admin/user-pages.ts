/**
 * The console's users section (`admin` role): look a user up by phone number, see their Mobile ID
 * serial pin and the serial of their most recent login, and re-pin it.
 *
 *   GET  /admin/users                  the look-up form
 *   POST /admin/users                  look up (the number is posted, so it stays out of URLs and logs)
 *   GET  /admin/users/:id              the user
 *   POST /admin/users/:id/repin        re-pin: to the serial typed in, or (empty) to the last login's
 */
import type Router from '@koa/router';
import type { Context, Next } from 'koa';

import type { Config, Locale } from '../config.js';
import type { Db } from '../db/index.js';
import { translate } from '../web/i18n.js';
import type { Principal } from './auth.js';
import { findUser, findUserByPhone, REPIN_ERROR_STATUS, repinSerial, type RepinError, type UserView } from './users.js';

type SessionPrincipal = Principal & { via: 'session' };

export interface UserPageHelpers {
  page(ctx: Context, template: string, vars: Record<string, unknown>, status?: number): void;
  message(ctx: Context, status: number, vars: { heading: string; message: string; isError?: boolean; code?: string; link?: { href: string; label: string } }): void;
  locale(ctx: Context): Locale;
  /** An admin session (with the CSRF token checked on POST), or the login / a 403 page. */
  requireAdmin(ctx: Context, next: Next): Promise<void>;
}

const when = (locale: Locale, iso: string | null) =>
  iso ? new Intl.DateTimeFormat(`${locale}-CH`, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Zurich' }).format(new Date(iso)) : '';

export function mountUsers(router: Router, deps: { config: Config; db: Db }, h: UserPageHelpers): void {
  const { config, db } = deps;

  const nav = async (ctx: Context, next: Next) => {
    ctx.state.adminNav = 'users';
    await next();
  };

  function lookupPage(ctx: Context, vars: { phone?: string; error?: string }, status = 200): void {
    const l = h.locale(ctx);
    h.page(ctx, 'admin/users.njk', { heading: translate(l, 'admin.users.heading'), phone: vars.phone ?? '', error: vars.error }, status);
  }

  function userPage(ctx: Context, user: UserView, vars: { serial?: string; formError?: string; done?: string } = {}, status = 200): void {
    const l = h.locale(ctx);
    const self = (ctx.state.admin as SessionPrincipal).account.id === user.id;
    const presented = user.presented_serial;
    h.page(
      ctx,
      'admin/user.njk',
      {
        heading: translate(l, 'admin.user.heading', { who: user.msisdn }),
        user,
        roles: user.roles.join(', '),
        created: when(l, user.created_at),
        lastLogin: when(l, user.last_login_at),
        pinnedAt: when(l, user.serial_pinned_at),
        presented: presented
          ? { serial: presented.serial, at: translate(l, presented.login_refused ? 'admin.user.presented_refused' : 'admin.user.presented_at', { when: when(l, presented.at) }) }
          : undefined,
        mismatch: user.serial_mismatch ? translate(l, `admin.user.mismatch.${config.mobileId.serialPolicy}`) : undefined,
        self,
        serialHint: user.serial_mismatch && presented ? translate(l, 'admin.user.repin_hint', { serial: presented.serial }) : translate(l, 'admin.user.repin_hint_none'),
        serial: vars.serial ?? '',
        formError: vars.formError,
        done: vars.done,
        repinAction: `/admin/users/${user.id}/repin`,
        historyHref: `/admin/audit?subject=${encodeURIComponent(`account:${user.id}`)}`,
      },
      status,
    );
  }

  function notFound(ctx: Context): void {
    const l = h.locale(ctx);
    h.message(ctx, 404, {
      heading: translate(l, 'admin.users.heading'),
      message: translate(l, 'admin.user.error.not_found'),
      code: 'not_found',
      link: { href: '/admin/users', label: translate(l, 'admin.users.back') },
    });
  }

  router.get('/users', h.requireAdmin, nav, (ctx) => {
    lookupPage(ctx, {});
  });

  router.post('/users', h.requireAdmin, nav, async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const phone = typeof body.phone === 'string' ? body.phone.slice(0, 40) : '';
    const found = await findUserByPhone(db, phone, config.mobileId.defaultCountryCode);
    if ('error' in found) return lookupPage(ctx, { phone, error: translate(h.locale(ctx), `admin.user.error.${found.error}`) }, found.error === 'invalid_phone' ? 400 : 404);
    ctx.status = 303;
    ctx.redirect(`/admin/users/${found.user.id}`);
  });

  router.get('/users/:id', h.requireAdmin, nav, async (ctx) => {
    const user = await findUser(db, ctx.params.id!);
    if (!user) return notFound(ctx);
    const done = ctx.query.done === 'repinned' ? translate(h.locale(ctx), 'admin.user.done.repinned') : undefined;
    userPage(ctx, user, done ? { done } : {});
  });

  router.post('/users/:id/repin', h.requireAdmin, nav, async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const serial = typeof body.serial === 'string' ? body.serial.slice(0, 80) : '';
    const principal = ctx.state.admin as SessionPrincipal;
    const outcome = await repinSerial(db, ctx.params.id!, { serial, actor: principal.actor, actorAccountId: principal.account.id });
    if (outcome.ok) {
      ctx.status = 303;
      return ctx.redirect(`/admin/users/${outcome.user.id}?done=repinned`);
    }
    const user = outcome.error === 'not_found' ? undefined : await findUser(db, ctx.params.id!);
    if (!user) return notFound(ctx);
    const error: RepinError = outcome.error;
    userPage(ctx, user, { serial, formError: translate(h.locale(ctx), `admin.user.error.${error}`) }, REPIN_ERROR_STATUS[error]);
  });
}
