/**
 * Swisscom SRS on the step-up page: the user's details → the identification partner (directly,
 * or by QR code on the phone) → a waiting page that polls → back to the step-up page, verified
 * or with the reason. And the partner's callback, POST /callbacks/srs (a signed JWT).
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import QRCode from 'qrcode';

import { findAccountById } from '../../accounts/index.js';
import type { Db } from '../../db/index.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { maskMsisdn } from '../../mobileid/index.js';
import { loadQorPolicy } from '../../qor/index.js';
import { parseClaimedIdentity, type IdentityErrors } from '../../verification/identity.js';
import { SRS_CALLBACK_PATH, SRS_MESSAGES, SrsError, setUpSrs, srsMethods, srsPagePath, type Details, type IdentificationState, type SrsSetup } from '../../verification/srs/index.js';
import { translate } from '../../web/i18n.js';
import { stepUpNoticeUrl, type MethodRoutes } from '../stepup.js';
import type { FeatureDeps, VerificationFeature } from './index.js';

const MAX_CALLBACK_BYTES = 32 * 1024;
const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,190}\.[^\s@<>".]{2,}$/;

type Locale = Parameters<typeof translate>[0];

export async function srsFeature(deps: FeatureDeps): Promise<VerificationFeature> {
  const { config, db, log } = deps;
  const qor = loadQorPolicy(`${config.policyDir}/qor.json`);
  const sandbox = deps.sandbox?.srs;
  const srs = setUpSrs({
    config: config.srs,
    sandbox,
    issuer: config.issuer,
    policyDir: config.policyDir,
    validityDays: qor.verification.validityDays,
    db,
    log,
  });
  if (!srs) {
    log.warn('SRS_URL is not set: the SRS verification methods (video, bank) are not offered');
    return { methods: [] };
  }
  return {
    methods: srsMethods(srs.identifications, srs.policy),
    routes: srsRoutes(srs, db, Math.min(3000, config.srs.pollIntervalMs)),
    routers: [callbackRouter(srs)],
    messages: SRS_MESSAGES,
    close: () => srs.client.close(),
  };
}

function srsRoutes(srs: SrsSetup, db: Db, pagePollMs: number): MethodRoutes {
  const base = '/interaction/:uid/stepup/:loginId/srs/:id';
  return (router, h, stepUp) => {
    /** The identification of this login (checked before anything is asked of SRS), refreshed from SRS when due. */
    async function own(ctx: Context, refresh: boolean) {
      const step = await stepUp.current(ctx);
      const found = await srs.identifications.get(ctx.params.id!);
      if (!found || found.accountId !== step.accountId || found.interactionUid !== step.interactionUid || found.loginId !== ctx.params.loginId) {
        throw new AppError({ code: 'srs_identification_not_found', status: 404, messageKey: 'error.session_expired' });
      }
      let i: IdentificationState = refresh ? await srs.identifications.check(found.id) : found;
      // Another request is ordering it at SRS right now: wait for the outcome.
      if (i.status === 'starting') i = (await srs.identifications.settled(i.id)) ?? i;
      return { step, i, locale: step.locale as Locale };
    }

    async function formPage(ctx: Context, o: { step: { accountId: string; interactionUid: string }; i: { method: string; details?: Details | undefined }; locale: Locale }, extra: { values?: Record<string, string>; errors?: IdentityErrors & { email?: string }; error?: string } = {}) {
      const account = await findAccountById(db, o.step.accountId);
      const d = o.i.details;
      const values = extra.values ?? (d ? { given_names: d.givenNames, family_name: d.familyName, birth_date: d.birthDate, nationality: d.nationality ?? '', email: d.email ?? '' } : {});
      const errors = Object.fromEntries(Object.entries(extra.errors ?? {}).map(([k, v]) => [fieldName(k), translate(o.locale, v as string)]));
      h.page(ctx, 'verification/srs_form.njk', o.locale, {
        method: o.i.method,
        methodName: translate(o.locale, `verification.method.${o.i.method}`),
        phone: account ? maskMsisdn(account.msisdn) : '',
        values,
        errors,
        error: extra.error,
        action: ctx.path.replace(/\/$/, ''),
        backUrl: `/interaction/${ctx.params.uid}/stepup/${ctx.params.loginId}`,
        csrf: h.csrf(o.step.interactionUid),
      });
    }

    router.get(base, async (ctx) => {
      const o = await own(ctx, true);
      const { i, step } = o;
      if (i.status === 'draft' || i.status === 'starting') return formPage(ctx, o);
      if (i.status === 'approved') return redirect(ctx, stepUpNoticeUrl(step.returnUrl, 'verification.srs.done', 'info'));
      if (i.status === 'failed' || i.status === 'cancelled') {
        return redirect(ctx, stepUpNoticeUrl(step.returnUrl, i.messageKey ?? 'verification.srs.status.error', i.status === 'cancelled' ? 'info' : 'error'));
      }
      const policy = srs.policy.methods[i.method];
      const target = i.targetUrl!;
      const pageUrl = srsPagePath(step.returnUrl, i.id);
      h.page(ctx, 'verification/srs_wait.njk', o.locale, {
        method: i.method,
        methodName: translate(o.locale, `verification.method.${i.method}`),
        preferPhone: policy?.preferPhone ?? false,
        qr: await QRCode.toDataURL(target, { errorCorrectionLevel: 'M', margin: 2, width: 240 }),
        targetUrl: target,
        message: translate(o.locale, (i as IdentificationState).notice ?? i.messageKey ?? 'verification.srs.status.initialized'),
        stage: i.messageKey ?? '',
        statusUrl: `${pageUrl}/status`,
        pageUrl,
        pollMs: pagePollMs,
        refreshSeconds: Math.max(3, Math.round(pagePollMs / 1000)),
        backUrl: step.returnUrl,
      });
    });

    router.post(base, async (ctx) => {
      const o = await own(ctx, false);
      h.requireCsrf(ctx, o.step.interactionUid);
      if (o.i.status !== 'draft') return redirect(ctx, srsPagePath(o.step.returnUrl, o.i.id));
      const body = (ctx.request.body ?? {}) as Record<string, unknown>;
      const parsed = parseClaimedIdentity(body, { requireNationality: true });
      const email = typeof body.email === 'string' ? body.email.trim() : '';
      const values = Object.fromEntries(['given_names', 'family_name', 'birth_date', 'nationality', 'email'].map((k) => [k, typeof body[k] === 'string' ? (body[k] as string).slice(0, 200) : '']));
      const emailError = email && (email.length > 254 || !EMAIL.test(email)) ? 'verification.srs.error.email' : undefined;
      if (parsed.errors || emailError) {
        ctx.status = 400;
        return formPage(ctx, o, { values, errors: { ...(parsed.errors ?? {}), ...(emailError ? { email: emailError } : {}) } });
      }
      try {
        await srs.identifications.begin(o.i.id, { ...parsed.identity, ...(email ? { email } : {}) });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        const logged = { identification: o.i.id, code: err.code, detail: err.detail };
        const log = ctx.state.log as Logger;
        if (err instanceof SrsError && err.code === 'unauthorized') log.error(logged, 'srs refused our credentials');
        else log.warn(logged, 'srs identification not started');
        ctx.status = err.status >= 500 ? 503 : err.status === 429 ? 429 : 400;
        return formPage(ctx, o, { values, error: translate(o.locale, err.messageKey) });
      }
      redirect(ctx, srsPagePath(o.step.returnUrl, o.i.id));
    });

    router.get(`${base}/status`, async (ctx) => {
      const { i } = await own(ctx, true);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: i.status === 'started' || i.status === 'starting' ? 'pending' : i.status, srsStatus: i.srsStatus ?? null, stage: i.messageKey ?? '' };
    });
  };
}

function fieldName(key: string): string {
  return { givenNames: 'given_names', familyName: 'family_name', birthDate: 'birth_date', nationality: 'nationality', email: 'email' }[key] ?? key;
}

function redirect(ctx: Context, url: string): void {
  ctx.status = 303;
  ctx.redirect(url);
}

async function rawBody(ctx: Context): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buf.length;
    if (size > MAX_CALLBACK_BYTES) throw new AppError({ code: 'callback_too_large', status: 413 });
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The JWT of a callback: a raw `application/jwt` body, JSON `{"jwt"|"token": …}`, or a form field. */
function tokenOf(type: string, body: string): string {
  const text = body.trim();
  if (/json/.test(type)) {
    try {
      const o = JSON.parse(text) as Record<string, unknown>;
      const t = o.jwt ?? o.token;
      return typeof t === 'string' ? t : '';
    } catch {
      return '';
    }
  }
  if (/x-www-form-urlencoded/.test(type)) {
    const p = new URLSearchParams(text);
    return p.get('jwt') ?? p.get('token') ?? '';
  }
  return text;
}

function callbackRouter(srs: SrsSetup): Router {
  const router = new Router();
  router.post(SRS_CALLBACK_PATH, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      const token = tokenOf(ctx.get('content-type'), await rawBody(ctx));
      const claims = await srs.verifier.verify(token);
      const i = await srs.identifications.callback(claims);
      ctx.status = 200;
      ctx.body = { received: true, status: i.status };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      (ctx.state.log as Logger).warn({ code: err.code, detail: err.detail }, 'srs callback refused');
      ctx.status = err instanceof SrsError && err.code === 'unavailable' ? 503 : err.status;
      ctx.body = { error: err.code };
    }
  });
  return router;
}
