/**
 * The counter desk: where a verifier (an account with the `verifier` role; the `admin` role alone
 * is not enough, so that changing the policy and vouching for identities stay separate duties)
 * opens a case by scanning its QR code or typing its short code, compares the data with the
 * identity document the person shows, records the document and approves or rejects.
 *
 *   GET  /admin/desk                      the scan / code field
 *   GET  /admin/desk/scan?t=<reference>   what the QR code opens: the field, filled in
 *   POST /admin/desk/open                 open (and lock) the case
 *   GET  /admin/desk/cases/:id            the case, for the verifier who holds it
 *   POST /admin/desk/cases/:id/approve | reject | release
 *
 * Opening a case locks it to the verifier for COUNTER_LOCK_MINUTES; another verifier is refused
 * meanwhile (told who and since when). Every step is in the audit log (src/verification/manual).
 */
import type Router from '@koa/router';
import type { Context, Next } from 'koa';

import { findAccountById } from '../accounts/index.js';
import { audit } from '../audit/index.js';
import type { Config, Locale } from '../config.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../logger.js';
import { maskMsisdn } from '../mobileid/index.js';
import { counterServiceFor, DOCUMENT_TYPES, formatShortCode, isUuid, REJECT_REASONS, type CounterCase, type DocumentErrors, type OpenRefusal } from '../verification/manual/index.js';
import { translate } from '../web/i18n.js';
import { checkSessionCsrf, endSession, sessionPrincipal, type Principal } from './auth.js';
import { hasConsoleRole, VERIFIER_ROLE } from './roles.js';

type SessionPrincipal = Principal & { via: 'session' };

export interface DeskPageHelpers {
  page(ctx: Context, template: string, vars: Record<string, unknown>, status?: number): void;
  message(ctx: Context, status: number, vars: { heading: string; message: string; isError?: boolean; code?: string; link?: { href: string; label: string } }): void;
  locale(ctx: Context): Locale;
}

/** HTTP status of each refusal to open a case. */
const REFUSAL_STATUS: Record<OpenRefusal['reason'], number> = {
  unreadable: 400,
  invalid: 404,
  not_found: 404,
  expired: 410,
  used: 410,
  cancelled: 410,
  own_case: 403,
  locked: 409,
};

const DONE = ['approved', 'rejected', 'released'];

const when = (locale: Locale, d: Date) => new Intl.DateTimeFormat(`${locale}-CH`, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Zurich' }).format(d);

export function mountDesk(router: Router, deps: { config: Config; db: Db; log: Logger }, h: DeskPageHelpers): void {
  const { config, db } = deps;
  const secret = config.cookieSecrets[0]!;
  const { service } = counterServiceFor(config, db);

  /** The desk needs a session with the `verifier` role: none → log in first; without the role → 403. */
  async function requireVerifier(ctx: Context, next: Next): Promise<void> {
    const check = await sessionPrincipal(ctx, db, VERIFIER_ROLE);
    if (check.state === 'none') {
      ctx.status = 303;
      return ctx.redirect(`/admin/login?return=${encodeURIComponent(ctx.method === 'GET' ? ctx.originalUrl : '/admin/desk')}`);
    }
    if (check.state === 'forbidden') {
      await audit(db, { actor: `account:${check.session.sub}`, action: 'counter.desk.refused', subject: `account:${check.session.sub}`, detail: { reason: 'no_verifier_role', path: ctx.path } });
      if (!hasConsoleRole(check)) endSession(ctx);
      const l = h.locale(ctx);
      return h.message(ctx, 403, {
        heading: translate(l, 'admin.error.heading'),
        message: translate(l, 'admin.desk.forbidden'),
        code: 'not_verifier',
        link: { href: '/admin/login?switch=1', label: translate(l, 'admin.login_again') },
      });
    }
    ctx.state.admin = check.principal;
    ctx.state.adminNav = 'desk';
    if (ctx.method === 'POST') {
      const body = ctx.request.body as Record<string, unknown> | undefined;
      if (!checkSessionCsrf(secret, check.principal.session, body?.csrf)) {
        const l = h.locale(ctx);
        return h.message(ctx, 403, { heading: translate(l, 'admin.error.heading'), message: translate(l, 'admin.error.csrf'), code: 'csrf_failed' });
      }
    }
    await next();
  }

  const verifierOf = (ctx: Context) => (ctx.state.admin as SessionPrincipal).account.id;

  function deskPage(ctx: Context, vars: { reference?: string; scanned?: boolean; error?: string; done?: string }, status = 200): void {
    const l = h.locale(ctx);
    h.page(ctx, 'admin/desk.njk', { heading: translate(l, 'admin.desk.heading'), reference: vars.reference ?? '', scanned: vars.scanned ?? false, error: vars.error, done: vars.done }, status);
  }

  router.get('/desk', requireVerifier, (ctx) => {
    const l = h.locale(ctx);
    const done = typeof ctx.query.done === 'string' && DONE.includes(ctx.query.done) ? translate(l, `admin.desk.done.${ctx.query.done}`) : undefined;
    deskPage(ctx, done ? { done } : {});
  });

  // The QR code's URL: a GET must not change anything, so it fills in the field and the verifier confirms.
  router.get('/desk/scan', requireVerifier, (ctx) => {
    const token = typeof ctx.query.t === 'string' && ctx.query.t.length <= 2048 ? ctx.query.t : '';
    deskPage(ctx, { reference: token, scanned: token !== '' });
  });

  router.post('/desk/open', requireVerifier, async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const reference = typeof body.reference === 'string' ? body.reference : '';
    const result = await service.open(reference, verifierOf(ctx));
    if (result.ok) {
      ctx.status = 303;
      return ctx.redirect(`/admin/desk/cases/${result.case.id}`);
    }
    const l = h.locale(ctx);
    let error: string;
    if (result.reason === 'locked') {
      const holder = await findAccountById(db, result.lockedBy);
      error = translate(l, 'admin.desk.refused.locked', { who: holder ? maskMsisdn(holder.msisdn) : translate(l, 'admin.desk.another_verifier'), since: when(l, result.lockedAt), minutes: config.counter.lockMinutes });
    } else {
      error = translate(l, `admin.desk.refused.${result.reason}`);
    }
    deskPage(ctx, { error }, REFUSAL_STATUS[result.reason]);
  });

  /** The case `:id` if this verifier holds it, else a page saying to open it again. */
  async function heldCase(ctx: Context): Promise<CounterCase | undefined> {
    const id = ctx.params.id;
    const c = isUuid(id) ? await service.held(id, verifierOf(ctx)) : undefined;
    if (!c) {
      const l = h.locale(ctx);
      h.message(ctx, 409, {
        heading: translate(l, 'admin.desk.heading'),
        message: translate(l, 'admin.desk.not_held'),
        code: 'case_not_held',
        link: { href: '/admin/desk', label: translate(l, 'admin.desk.back') },
      });
    }
    return c;
  }

  function casePage(ctx: Context, c: CounterCase, form: { values?: Record<string, string>; errors?: DocumentErrors; formError?: string } = {}, status = 200): void {
    const l = h.locale(ctx);
    const errors = Object.fromEntries(Object.entries(form.errors ?? {}).map(([field, key]) => [field, translate(l, key)]));
    h.page(
      ctx,
      'admin/desk_case.njk',
      {
        heading: translate(l, 'admin.desk.case_heading', { code: formatShortCode(c.shortCode) }),
        rows: [
          { label: translate(l, 'counter.doc.given_names'), value: c.claimed.givenNames },
          { label: translate(l, 'counter.doc.family_name'), value: c.claimed.familyName },
          { label: translate(l, 'counter.doc.birth_date'), value: `${c.claimed.birthDate.split('-').reverse().join('.')} (${c.claimed.birthDate})` },
          ...(c.claimed.nationality ? [{ label: translate(l, 'counter.doc.nationality'), value: c.claimed.nationality }] : []),
        ],
        requested: when(l, c.createdAt),
        lockedUntil: c.lockExpiresAt ? when(l, c.lockExpiresAt) : '',
        documentTypes: DOCUMENT_TYPES.map((type) => ({ value: type, label: translate(l, `admin.desk.document_type.${type}`) })),
        reasons: REJECT_REASONS.map((reason) => ({ value: reason, label: translate(l, `admin.desk.reason.${reason}`) })),
        values: form.values ?? {},
        errors,
        formError: form.formError,
        approveAction: `/admin/desk/cases/${c.id}/approve`,
        rejectAction: `/admin/desk/cases/${c.id}/reject`,
        releaseAction: `/admin/desk/cases/${c.id}/release`,
      },
      status,
    );
  }

  router.get('/desk/cases/:id', requireVerifier, async (ctx) => {
    const c = await heldCase(ctx);
    if (c) casePage(ctx, c);
  });

  router.post('/desk/cases/:id/approve', requireVerifier, async (ctx) => {
    const c = await heldCase(ctx);
    if (!c) return;
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const result = await service.approve(c.id, verifierOf(ctx), body);
    if (result.ok) {
      ctx.status = 303;
      return ctx.redirect('/admin/desk?done=approved');
    }
    if (result.reason === 'invalid_form') {
      const values = Object.fromEntries(['document_type', 'document_number', 'issuing_country', 'expiry_date'].map((k) => [k, typeof body[k] === 'string' ? (body[k] as string).slice(0, 64) : '']));
      return casePage(ctx, c, { values, errors: result.errors, formError: translate(h.locale(ctx), 'admin.desk.error.form') }, 400);
    }
    await heldCase(ctx); // the lock ran out meanwhile: the same page as for a case not held
  });

  router.post('/desk/cases/:id/reject', requireVerifier, async (ctx) => {
    const c = await heldCase(ctx);
    if (!c) return;
    const result = await service.reject(c.id, verifierOf(ctx), (ctx.request.body as Record<string, unknown> | undefined)?.reason);
    if (result.ok) {
      ctx.status = 303;
      return ctx.redirect('/admin/desk?done=rejected');
    }
    if (result.reason === 'invalid_reason') return casePage(ctx, c, { formError: translate(h.locale(ctx), 'admin.desk.error.reason') }, 400);
    await heldCase(ctx);
  });

  router.post('/desk/cases/:id/release', requireVerifier, async (ctx) => {
    const id = ctx.params.id;
    if (isUuid(id)) await service.release(id, verifierOf(ctx));
    ctx.status = 303;
    ctx.redirect('/admin/desk?done=released');
  });
}
