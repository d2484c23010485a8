/**
 * The admin console's pages (plain server-rendered HTML, no scripts): a list per policy table, a
 * form per row with the field messages beside the fields, delete, the audit log, the users (look
 * up, re-pin a Mobile ID; user-pages.ts), and the login through this provider. Every form carries
 * a CSRF token bound to the admin session.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';

import { findAccountById, serialInDoubt } from '../accounts/index.js';
import { audit } from '../audit/index.js';
import type { Config, Locale } from '../config.js';
import type { Db } from '../db/index.js';
import { isDatabaseUnavailable, logUnavailable } from '../db/unavailable.js';
import { AppError } from '../errors.js';
import { chooseLocale, languageLinks } from '../interactions/locale.js';
import type { Logger } from '../logger.js';
import { maskMsisdn } from '../mobileid/index.js';
import { translate } from '../web/i18n.js';
import { renderPage } from '../web/render.js';
import { RETRY_AFTER_SECONDS } from '../web/unavailable.js';
import { listAudit } from './audit-log.js';
import { checkSessionCsrf, endSession, readSession, sessionCsrf, sessionPrincipal, startSession, type Principal } from './auth.js';
import { ConsoleLogin, safeReturnPath } from './console-login.js';
import { failureMessage, fieldMessages } from './messages.js';
import { PolicyWriteError, auditSubject, type PolicyRows, type WriteFailure } from './policy-rows.js';
import { rowId } from './api-router.js';
import { mountDesk } from './desk-pages.js';
import { mountUsers } from './user-pages.js';
import { ADMIN_ROLE, hasConsoleRole, hasRole, VERIFIER_ROLE, type Role } from './roles.js';
import { EDITABLE_STEPS, FIELDS, KINDS, SEGMENTS, type Field, type Kind, type StoredRow } from './rows.js';

export interface AdminPagesDeps {
  config: Config;
  db: Db;
  rows: PolicyRows;
  log: Logger;
}

type SessionPrincipal = Principal & { via: 'session' };

const STYLESHEET = fs.readFileSync(fileURLToPath(new URL('../../views/admin/admin.css', import.meta.url)));

type NavKind = Kind | 'users' | 'audit' | 'desk';

/** The console's sections, each for the role that may use it. */
const NAV: { kind: NavKind; key: string; role: Role }[] = [
  { kind: 'qor', key: 'admin.nav.qors', role: ADMIN_ROLE },
  { kind: 'strength', key: 'admin.nav.strengths', role: ADMIN_ROLE },
  { kind: 'qoa', key: 'admin.nav.qoas', role: ADMIN_ROLE },
  { kind: 'lot', key: 'admin.nav.lots', role: ADMIN_ROLE },
  { kind: 'users', key: 'admin.nav.users', role: ADMIN_ROLE },
  { kind: 'audit', key: 'admin.nav.audit', role: ADMIN_ROLE },
  { kind: 'desk', key: 'admin.nav.desk', role: VERIFIER_ROLE },
];

const hrefOf = (kind: NavKind) => (kind === 'audit' || kind === 'desk' || kind === 'users' ? `/admin/${kind}` : `/admin/${SEGMENTS[kind]}`);

/** Where a person lands in the console: the policy tables for administrators, else the desk. */
const homeOf = (account: { roles: string[] }) => (hasRole(account, ADMIN_ROLE) ? '/admin/qors' : '/admin/desk');
const when = (value: unknown) => (value instanceof Date ? `${value.toISOString().slice(0, 19).replace('T', ' ')} UTC` : String(value ?? ''));

interface FormField {
  name: Field;
  label: string;
  type: 'text' | 'number' | 'select' | 'textarea';
  value: string;
  options?: { value: string; label: string }[];
  hint?: string;
  error?: string;
}

export function adminPagesRouter(deps: AdminPagesDeps): Router {
  const { config, db, rows, log } = deps;
  const secret = config.cookieSecrets[0]!;
  const login = new ConsoleLogin(config);
  const router = new Router({ prefix: '/admin' });

  // ------------------------------------------------------------------ rendering and errors

  const locale = (ctx: Context) => chooseLocale(ctx, config);

  function page(ctx: Context, template: string, vars: Record<string, unknown>, status = 200): void {
    const principal = ctx.state.admin as SessionPrincipal | undefined;
    const current = ctx.state.adminNav as NavKind | undefined;
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = renderPage(template, locale(ctx), {
      langLinks: languageLinks(ctx),
      ...(principal
        ? {
            nav: NAV.filter((n) => hasRole(principal.account, n.role)).map((n) => ({ href: hrefOf(n.kind), key: n.key, current: n.kind === current })),
            who: maskMsisdn(principal.account.msisdn),
            csrf: sessionCsrf(secret, principal.session),
          }
        : {}),
      ...vars,
    });
  }

  function message(ctx: Context, status: number, vars: { heading: string; message: string; isError?: boolean; code?: string; link?: { href: string; label: string } }): void {
    page(
      ctx,
      'admin/message.njk',
      {
        heading: vars.heading,
        message: vars.message,
        isError: vars.isError ?? true,
        code: vars.code,
        requestId: vars.code ? ctx.state.requestId : undefined,
        linkHref: vars.link?.href,
        linkLabel: vars.link?.label,
      },
      status,
    );
  }

  router.use(async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (err) {
      const l = locale(ctx);
      const logger = (ctx.state.log as Logger | undefined) ?? log;
      if (err instanceof AppError) {
        logger.info({ code: err.code, detail: err.detail }, 'admin page refused');
        return message(ctx, err.status, { heading: translate(l, 'admin.error.heading'), message: translate(l, err.messageKey, err.params), code: err.code });
      }
      const status = (err as { status?: unknown }).status;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return message(ctx, status, { heading: translate(l, 'admin.error.heading'), message: translate(l, 'admin.error.login_failed'), code: 'invalid_request' });
      }
      if (isDatabaseUnavailable(err)) {
        logUnavailable(logger, err);
        ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
        return message(ctx, 503, { heading: translate(l, 'admin.title'), message: translate(l, 'error.unavailable'), code: 'temporarily_unavailable' });
      }
      logger.error({ err }, 'admin page failed');
      message(ctx, 500, { heading: translate(l, 'admin.title'), message: translate(l, 'admin.error.generic'), code: 'server_error' });
    }
  });
  router.use(bodyParser({ enableTypes: ['form'], formLimit: '64kb' }));

  /** Pages need an admin session: none → log in first; a session without the role → 403. */
  async function requireAdmin(ctx: Context, next: Next): Promise<void> {
    const check = await sessionPrincipal(ctx, db);
    if (check.state === 'none') {
      ctx.status = 303;
      return ctx.redirect(`/admin/login?return=${encodeURIComponent(ctx.method === 'GET' ? ctx.originalUrl : '/admin/qors')}`);
    }
    if (check.state === 'forbidden') {
      // A verifier keeps the session for the desk; without any console role it ends here.
      if (!hasConsoleRole(check)) endSession(ctx);
      return forbidden(ctx, check.roles.includes(VERIFIER_ROLE));
    }
    ctx.state.admin = check.principal;
    if (ctx.method === 'POST') {
      const body = ctx.request.body as Record<string, unknown> | undefined;
      if (!checkSessionCsrf(secret, check.principal.session, body?.csrf)) {
        throw new AppError({ code: 'csrf_failed', status: 403, messageKey: 'admin.error.csrf' });
      }
    }
    await next();
  }

  function forbidden(ctx: Context, toDesk = false): void {
    const l = locale(ctx);
    message(ctx, 403, {
      heading: translate(l, 'admin.error.heading'),
      message: translate(l, 'admin.error.forbidden'),
      code: 'forbidden',
      link: toDesk ? { href: '/admin/desk', label: translate(l, 'admin.nav.desk') } : { href: '/admin/login?switch=1', label: translate(l, 'admin.login_again') },
    });
  }

  const actor = (ctx: Context) => (ctx.state.admin as SessionPrincipal).actor;

  // ------------------------------------------------------------------ login and logout

  router.get('/admin.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = STYLESHEET;
  });

  router.get('/login', async (ctx) => {
    const returnTo = safeReturnPath(ctx.query.return);
    const forceLogin = ctx.query.switch === '1';
    if (!forceLogin) {
      const check = await sessionPrincipal(ctx, db);
      if (check.state === 'ok') return ctx.redirect(returnTo);
    }
    const url = await login.start(ctx, { returnTo, locale: locale(ctx), forceLogin });
    ctx.redirect(url.href);
  });

  router.get('/callback', async (ctx) => {
    const l = locale(ctx);
    const logger = (ctx.state.log as Logger | undefined) ?? log;
    const outcome = await login.complete(ctx);
    const again = { href: '/admin/login?switch=1', label: translate(l, 'admin.login_again') };
    if (!outcome.ok) {
      logger.info({ reason: outcome.reason, detail: outcome.detail }, 'admin login not completed');
      if (outcome.reason === 'level') {
        return message(ctx, 403, { heading: translate(l, 'admin.error.heading'), message: translate(l, 'admin.error.level', { acr: config.adminAcr }), code: 'acr_not_met', link: again });
      }
      return message(ctx, 400, {
        heading: translate(l, 'admin.title'),
        message: translate(l, 'admin.error.login_failed'),
        code: outcome.reason,
        link: { href: '/admin/login', label: translate(l, 'admin.login') },
      });
    }
    const account = await findAccountById(db, outcome.accountId);
    if (!account || !hasConsoleRole(account)) {
      await audit(db, { actor: `account:${outcome.accountId}`, action: 'admin.login_refused', subject: `account:${outcome.accountId}`, detail: { acr: outcome.acr, reason: 'no_console_role' } });
      logger.info({ account: outcome.accountId }, 'admin console refused: no admin or verifier role');
      endSession(ctx);
      return forbidden(ctx);
    }
    if (serialInDoubt(account)) {
      await audit(db, { actor: `account:${account.id}`, action: 'admin.login_refused', subject: `account:${account.id}`, detail: { acr: outcome.acr, reason: 'serial_mismatch' } });
      logger.warn({ account: account.id }, 'admin console refused: Mobile ID re-activated since the serial was pinned');
      endSession(ctx);
      return message(ctx, 403, { heading: translate(l, 'admin.error.heading'), message: translate(l, 'admin.error.serial_mismatch'), code: 'serial_mismatch', link: again });
    }
    startSession(ctx, account.id);
    await audit(db, { actor: `account:${account.id}`, action: 'admin.login', subject: `account:${account.id}`, detail: { acr: outcome.acr, roles: account.roles } });
    // A verifier who is not an administrator goes to the desk, whatever page started the login.
    const returnTo = hasRole(account, ADMIN_ROLE) || outcome.returnTo.startsWith('/admin/desk') ? outcome.returnTo : homeOf(account);
    ctx.status = 303;
    ctx.redirect(returnTo);
  });

  router.post('/logout', async (ctx) => {
    const session = readSession(ctx);
    const body = ctx.request.body as Record<string, unknown> | undefined;
    if (session && !checkSessionCsrf(secret, session, body?.csrf)) {
      throw new AppError({ code: 'csrf_failed', status: 403, messageKey: 'admin.error.csrf' });
    }
    endSession(ctx);
    ctx.status = 303;
    // Also end the provider session, or the next console login would pass without the phone.
    ctx.redirect((await login.endSessionUrl()).href);
  });

  router.get('/logged-out', (ctx) => {
    const l = locale(ctx);
    message(ctx, 200, { heading: translate(l, 'admin.title'), message: translate(l, 'admin.logged_out'), isError: false, link: { href: '/admin/login', label: translate(l, 'admin.login') } });
  });

  router.get('/', async (ctx) => {
    const check = await sessionPrincipal(ctx, db, VERIFIER_ROLE);
    ctx.redirect(check.state === 'ok' ? homeOf(check.principal.account) : '/admin/qors');
  });

  // ------------------------------------------------------------------ the policy tables

  for (const kind of KINDS) mountKind(kind);

  function mountKind(kind: Kind): void {
    const base = `/${SEGMENTS[kind]}`;
    const listHref = `/admin${base}`;
    const nav = async (ctx: Context, next: Next) => {
      ctx.state.adminNav = kind;
      await next();
    };

    router.get(base, requireAdmin, nav, async (ctx) => {
      const l = locale(ctx);
      const [items, lookups] = await Promise.all([rows.list(kind), lookupsFor(kind)]);
      const done = typeof ctx.query.done === 'string' && ['created', 'updated', 'deleted'].includes(ctx.query.done) ? translate(l, `admin.done.${ctx.query.done}`) : undefined;
      page(ctx, 'admin/list.njk', {
        heading: translate(l, `admin.nav.${SEGMENTS[kind]}`),
        done,
        newHref: `${listHref}/new`,
        columns: listColumns(kind).map((c) => ({ label: translate(l, c.label) })),
        rows: items.map((row) => ({
          id: row.id,
          href: `${listHref}/${row.id}`,
          changed: `${when(row.updated_at)} · ${String(row.updated_by ?? '')}`,
          cells: listColumns(kind).map((c) => c.cell(row, l, lookups)),
        })),
      });
    });

    router.get(`${base}/new`, requireAdmin, nav, async (ctx) => {
      await renderForm(ctx, kind, { values: {}, id: undefined });
    });

    router.post(base, requireAdmin, nav, async (ctx) => {
      const input = formInput(kind, ctx.request.body);
      try {
        await rows.create(kind, input, actor(ctx));
      } catch (err) {
        if (!(err instanceof PolicyWriteError)) throw err;
        return renderForm(ctx, kind, { values: input, id: undefined, failure: err.failure });
      }
      ctx.status = 303;
      ctx.redirect(`${listHref}?done=created`);
    });

    router.get(`${base}/:id`, requireAdmin, nav, async (ctx) => {
      const row = await existing(ctx, kind);
      if (!row) return;
      await renderForm(ctx, kind, { values: formValues(kind, row), id: row.id, row });
    });

    router.post(`${base}/:id`, requireAdmin, nav, async (ctx) => {
      const row = await existing(ctx, kind);
      if (!row) return;
      const input = formInput(kind, ctx.request.body);
      try {
        await rows.update(kind, row.id, input, actor(ctx));
      } catch (err) {
        if (!(err instanceof PolicyWriteError)) throw err;
        return renderForm(ctx, kind, { values: input, id: row.id, row, failure: err.failure });
      }
      ctx.status = 303;
      ctx.redirect(`${listHref}?done=updated`);
    });

    router.post(`${base}/:id/delete`, requireAdmin, nav, async (ctx) => {
      const row = await existing(ctx, kind);
      if (!row) return;
      try {
        await rows.remove(kind, row.id, actor(ctx));
      } catch (err) {
        if (!(err instanceof PolicyWriteError)) throw err;
        return renderForm(ctx, kind, { values: formValues(kind, row), id: row.id, row, failure: err.failure });
      }
      ctx.status = 303;
      ctx.redirect(`${listHref}?done=deleted`);
    });
  }

  /** The row of `:id`, or a 404 page. */
  async function existing(ctx: Context, kind: Kind): Promise<StoredRow | undefined> {
    const id = rowId(ctx.params.id);
    const row = id === undefined ? undefined : await rows.get(kind, id);
    if (!row) {
      const l = locale(ctx);
      message(ctx, 404, { heading: translate(l, `admin.nav.${SEGMENTS[kind]}`), message: translate(l, 'admin.error.not_found'), code: 'not_found', link: { href: `/admin/${SEGMENTS[kind]}`, label: translate(l, 'admin.form.back') } });
    }
    return row;
  }

  async function renderForm(
    ctx: Context,
    kind: Kind,
    state: { values: Record<string, string>; id: number | undefined; row?: StoredRow; failure?: WriteFailure },
  ): Promise<void> {
    const l = locale(ctx);
    const lookups = await lookupsFor(kind);
    const fieldErrors = new Map<string, string>();
    let formError: string | undefined;
    const status = state.failure ? statusOf(state.failure) : 200;
    if (state.failure && (state.failure.error === 'invalid_row' || state.failure.error === 'duplicate')) {
      const known = new Set<string>(FIELDS[kind]);
      const rowLevel: string[] = [];
      for (const m of fieldMessages(state.failure.fields, l)) {
        if (known.has(m.field)) {
          if (!fieldErrors.has(m.field)) fieldErrors.set(m.field, m.message);
        } else {
          rowLevel.push(m.message);
        }
      }
      formError = [translate(l, 'admin.form.invalid'), ...rowLevel].join(' ');
    } else if (state.failure) {
      formError = failureMessage(state.failure, l);
    }
    const fields: FormField[] = FIELDS[kind].map((name) => {
      const field = formField(name, state.values[name] ?? '', l, lookups);
      const error = fieldErrors.get(name);
      return error ? { ...field, error } : field;
    });
    const editing = state.id !== undefined;
    const base = `/admin/${SEGMENTS[kind]}`;
    page(
      ctx,
      'admin/form.njk',
      {
        heading: editing
          ? translate(l, 'admin.form.edit_heading', { name: String(state.row?.system_name ?? state.id) })
          : translate(l, 'admin.form.create_heading', { kind: translate(l, `admin.kind.${kind}`) }),
        formError,
        fields,
        action: editing ? `${base}/${state.id}` : base,
        submitLabel: translate(l, editing ? 'admin.form.save' : 'admin.form.create'),
        listHref: base,
        ...(editing && state.row
          ? {
              deleteAction: `${base}/${state.id}/delete`,
              references: await rows.references(kind, state.id!),
              historyHref: `/admin/audit?subject=${encodeURIComponent(auditSubject(kind, state.row.system_name))}`,
            }
          : {}),
      },
      status,
    );
  }

  // ------------------------------------------------------------------ audit

  router.get('/audit', requireAdmin, async (ctx) => {
    ctx.state.adminNav = 'audit';
    const l = locale(ctx);
    const subject = typeof ctx.query.subject === 'string' ? ctx.query.subject.slice(0, 300) : '';
    const action = typeof ctx.query.action === 'string' ? ctx.query.action.slice(0, 64) : '';
    const events = await listAudit(db, { subject: subject || undefined, action: action || undefined, limit: 200 });
    const pretty = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v, null, 2));
    page(ctx, 'admin/audit.njk', {
      heading: translate(l, 'admin.audit.heading'),
      subject,
      actionFilter: action,
      events: events.map((e) => ({
        at: e.at instanceof Date ? e.at.toISOString() : String(e.at),
        atText: when(e.at),
        actor: e.actor,
        action: e.action,
        subject: e.subject,
        subjectHref: e.subject ? `/admin/audit?subject=${encodeURIComponent(e.subject)}` : undefined,
        before: pretty(e.before),
        after: pretty(e.after),
      })),
    });
  });

  // ------------------------------------------------------------------ users (look up, re-pin a Mobile ID)

  mountUsers(router, { config, db }, { page, message, locale, requireAdmin });

  // ------------------------------------------------------------------ the counter desk (verifiers)

  mountDesk(router, { config, db, log }, { page, message, locale });

  // ------------------------------------------------------------------ per-kind presentation

  interface Lookups {
    strengths: Map<number, StoredRow>;
    qoas: Map<number, StoredRow>;
  }

  async function lookupsFor(kind: Kind): Promise<Lookups> {
    const needsStrengths = kind === 'qor' || kind === 'lot';
    const [strengths, qoas] = await Promise.all([needsStrengths ? rows.list('strength') : [], kind === 'lot' ? rows.list('qoa') : []]);
    return { strengths: new Map(strengths.map((s) => [s.id, s])), qoas: new Map(qoas.map((q) => [q.id, q])) };
  }

  return router;
}

type Cell = { value: string; code?: boolean };

function nameOf(row: StoredRow, l: Locale): string {
  return translate(l, row.name_key);
}

function refName(map: Map<number, StoredRow>, id: unknown): string {
  const row = typeof id === 'number' ? map.get(id) : undefined;
  return row ? row.system_name : `#${String(id)}`;
}

function listColumns(kind: Kind): { label: string; cell: (row: StoredRow, l: Locale, lookups: { strengths: Map<number, StoredRow>; qoas: Map<number, StoredRow> }) => Cell }[] {
  const systemName = { label: 'admin.list.system_name', cell: (row: StoredRow): Cell => ({ value: row.system_name, code: true }) };
  const name = { label: 'admin.list.name', cell: (row: StoredRow, l: Locale): Cell => ({ value: nameOf(row, l) }) };
  const level = { label: 'admin.field.level', cell: (row: StoredRow): Cell => ({ value: String(row.level) }) };
  const strength = {
    label: 'admin.field.quality_of_registration_strength_id',
    cell: (row: StoredRow, _l: Locale, lk: { strengths: Map<number, StoredRow> }): Cell => ({ value: refName(lk.strengths, row.quality_of_registration_strength_id), code: true }),
  };
  switch (kind) {
    case 'strength':
      return [systemName, name, level];
    case 'qor':
      return [systemName, name, { label: 'admin.field.steps', cell: (row, l) => ({ value: translate(l, `admin.steps.${String(row.steps)}`) }) }, strength];
    case 'qoa':
      return [systemName, name, level, { label: 'admin.field.method', cell: (row) => ({ value: String(row.method), code: true }) }];
    case 'lot':
      return [
        systemName,
        name,
        { label: 'admin.field.quality_of_authentication_id', cell: (row, _l, lk) => ({ value: refName(lk.qoas, row.quality_of_authentication_id), code: true }) },
        strength,
        { label: 'admin.field.checks', cell: (row) => ({ value: JSON.stringify(row.checks ?? {}), code: true }) },
      ];
  }
}

/** The submitted fields of a kind, as text (the row schema converts and checks them). */
function formInput(kind: Kind, body: unknown): Record<string, string> {
  const source = (body ?? {}) as Record<string, unknown>;
  const input: Record<string, string> = {};
  for (const field of FIELDS[kind]) {
    const value = source[field];
    input[field] = typeof value === 'string' ? value : '';
  }
  return input;
}

function formValues(kind: Kind, row: StoredRow): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of FIELDS[kind]) {
    const value = row[field];
    values[field] = field === 'checks' ? JSON.stringify(value ?? {}, null, 2) : value === null || value === undefined ? '' : String(value);
  }
  return values;
}

function formField(name: Field, value: string, l: Locale, lookups: { strengths: Map<number, StoredRow>; qoas: Map<number, StoredRow> }): FormField {
  const label = translate(l, `admin.field.${name}`);
  switch (name) {
    case 'level':
      return { name, label, type: 'number', value };
    case 'steps': {
      const options = EDITABLE_STEPS.map((s) => ({ value: String(s), label: translate(l, `admin.steps.${s}`) }));
      // A stored Dummy row shows what it is, though it cannot be saved as Dummy again.
      if (value === '0') options.unshift({ value: '0', label: translate(l, 'admin.steps.0') });
      return { name, label, type: 'select', value, options };
    }
    case 'quality_of_registration_strength_id':
      return {
        name,
        label,
        type: 'select',
        value,
        options: [...lookups.strengths.values()].sort((a, b) => Number(a.level) - Number(b.level)).map((s) => ({ value: String(s.id), label: `${s.system_name} (${String(s.level)})` })),
      };
    case 'quality_of_authentication_id':
      return { name, label, type: 'select', value, options: [...lookups.qoas.values()].map((q) => ({ value: String(q.id), label: `${q.system_name} (${String(q.level)})` })) };
    case 'checks':
      return { name, label, type: 'textarea', value, hint: translate(l, 'admin.form.checks_hint') };
    default:
      return { name, label, type: 'text', value };
  }
}

function statusOf(failure: WriteFailure): number {
  if (failure.error === 'invalid_row') return 400;
  if (failure.error === 'not_found') return 404;
  return 409;
}
