/**
 * Freja eID as a step-up method: the user states who they are (names, date of birth) → we ask
 * Freja for an authentication → a waiting page with a QR code for the Freja eID app (and a link
 * that opens the app on the same phone), polling our own status endpoint → back to the step-up
 * page: done, or with the reason it did not work.
 *
 * The person is identified to Freja as INFERRED: whoever scans our QR code (or taps the link on
 * this phone) answers. No e-mail address or national number has to be typed, stored or sent, no
 * request lands on a phone the person at this screen does not hold, and Freja's "user unknown"
 * answers cannot be used to probe who has a Freja eID.
 */
import path from 'node:path';

import QRCode from 'qrcode';
import type { Context } from 'koa';

import type { Locale } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { expiresAt, loadQorPolicy } from '../../qor/index.js';
import { parseClaimedIdentity, type IdentityErrors } from '../../verification/identity.js';
import type { StepUpContext, VerificationMethod } from '../../verification/index.js';
import { APP_LINK_PREFIX, appLink, FREJA_MESSAGES, FrejaError, METHOD_ID, setUpFreja, type FrejaRequestView, type FrejaVerifications } from '../../verification/freja/index.js';
import { translate } from '../../web/i18n.js';
import { stepUpNoticeUrl, type MethodRoutes, type StepUpAccess } from '../stepup.js';
import type { InteractionHelpers } from '../router.js';
import type { FeatureDeps, VerificationFeature } from './index.js';


const BASE = '/interaction/:uid/stepup/:loginId/freja';
const FIELD_NAMES = { givenNames: 'given_names', familyName: 'family_name', birthDate: 'birth_date', nationality: 'nationality' } as const;

export async function frejaFeature(deps: FeatureDeps): Promise<VerificationFeature> {
  const { config, db, log, sandbox } = deps;
  const viaSandbox = !config.freja.url && sandbox !== undefined;
  const url = config.freja.url ?? sandbox?.frejaUrl;
  if (!url) {
    log.warn('FREJA_URL is not set: Freja eID is not offered');
    return { methods: [], messages: FREJA_MESSAGES };
  }
  const qor = loadQorPolicy(path.join(config.policyDir, 'qor.json'));
  const setup = setUpFreja({
    config: config.freja,
    url,
    extraSigningPems: viaSandbox ? [sandbox.frejaSigningCertPem] : [],
    extraCaPems: viaSandbox ? [sandbox.frejaSigningCertPem, sandbox.frejaRootPem] : [],
    requireClientCertificate: config.env === 'production',
    policyDir: config.policyDir,
    db,
    log,
    kind: qor.verification.methods[METHOD_ID] ?? 'auto',
    expiresAt: (at) => expiresAt(at, { days: qor.verification.validityDays }),
  });
  const linkPrefix = config.freja.appLink ?? (viaSandbox ? `${sandbox.frejaAppUrl}?transactionReference=` : APP_LINK_PREFIX);
  if (viaSandbox) log.info({ app: sandbox.frejaAppUrl }, 'sandbox: approve Freja eID requests on the sandbox app page');

  const method: VerificationMethod = {
    id: METHOD_ID,
    nameKey: 'verification.method.freja-eid',
    async start(ctx: StepUpContext) {
      return { redirect: `${ctx.returnUrl}/freja` };
    },
  };
  return {
    methods: [method],
    routes: frejaRoutes(setup.verifications, { linkPrefix, pagePollMs: Math.min(2000, config.freja.pollIntervalMs) }),
    messages: FREJA_MESSAGES,
    close: () => setup.client.close(),
  };
}

function frejaRoutes(verifications: FrejaVerifications, opts: { linkPrefix: string; pagePollMs: number }): MethodRoutes {
  return (router, h: InteractionHelpers, stepUp: StepUpAccess) => {
    function formPage(ctx: Context, s: StepUpContext, locale: Locale, vars: { values?: Record<string, string>; errors?: IdentityErrors; error?: string }) {
      const errors = Object.fromEntries(Object.entries(vars.errors ?? {}).map(([field, key]) => [FIELD_NAMES[field as keyof typeof FIELD_NAMES], translate(locale, key)]));
      h.page(ctx, 'verification/freja_start.njk', locale, {
        action: `${s.returnUrl}/freja`,
        back: s.returnUrl,
        csrf: h.csrf(s.interactionUid),
        values: vars.values ?? {},
        errors,
        error: vars.error,
      });
    }

    /** The request, only for the login that started it. */
    async function own(ctx: Context, s: StepUpContext, check: boolean): Promise<FrejaRequestView> {
      const id = ctx.params.id ?? '';
      const view = check ? await verifications.check(id) : await verifications.get(id);
      if (view.interactionUid !== s.interactionUid || view.loginId !== ctx.params.loginId || view.accountId !== s.accountId) {
        throw new AppError({ code: 'freja_request_not_found', status: 404, messageKey: 'error.session_expired' });
      }
      return view;
    }

    function backToStepUp(ctx: Context, s: StepUpContext, view: FrejaRequestView): void {
      const outcome = view.outcome ?? { messageKey: 'verification.freja.invalid_result', kind: 'error' as const };
      ctx.status = 303;
      ctx.redirect(stepUpNoticeUrl(s.returnUrl, outcome.messageKey, outcome.kind));
    }

    router.get(BASE, async (ctx) => {
      const s = await stepUp.current(ctx);
      formPage(ctx, s, s.locale as Locale, {});
    });

    router.post(BASE, async (ctx) => {
      const s = await stepUp.current(ctx);
      h.requireCsrf(ctx, s.interactionUid);
      const locale = s.locale as Locale;
      const body = ctx.request.body as Record<string, unknown>;
      const values = Object.fromEntries(Object.values(FIELD_NAMES).map((k) => [k, typeof body[k] === 'string' ? (body[k] as string).slice(0, 120) : '']));
      const parsed = parseClaimedIdentity(body);
      if (parsed.errors) {
        ctx.status = 400;
        return formPage(ctx, s, locale, { values, errors: parsed.errors });
      }
      try {
        const view = await verifications.start({
          accountId: s.accountId,
          interactionUid: s.interactionUid,
          loginId: ctx.params.loginId!,
          serial: s.serial,
          claimed: parsed.identity,
        });
        ctx.status = 303;
        ctx.redirect(`${s.returnUrl}/freja/${view.id}`);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        (ctx.state.log as Logger).warn(
          { code: err.code, providerCode: err instanceof FrejaError ? err.providerCode : undefined, detail: err.detail },
          'freja eid verification not started',
        );
        ctx.status = err.status === 429 ? 429 : err instanceof FrejaError && err.transient ? 503 : err.status >= 500 ? 502 : 422;
        formPage(ctx, s, locale, { values, error: translate(locale, err.messageKey, err.params) });
      }
    });

    router.get(`${BASE}/:id`, async (ctx) => {
      const s = await stepUp.current(ctx);
      const view = await own(ctx, s, true);
      if (view.state !== 'pending') return backToStepUp(ctx, s, view);
      const locale = s.locale as Locale;
      const link = appLink(opts.linkPrefix, view.authRef);
      const pageUrl = `${s.returnUrl}/freja/${view.id}`;
      h.page(ctx, 'verification/freja_wait.njk', locale, {
        qr: await QRCode.toDataURL(link, { errorCorrectionLevel: 'M', margin: 2, width: 240 }),
        appLink: link,
        statusText: translate(locale, view.statusKey),
        problem: view.problemKey ? translate(locale, 'verification.freja.unavailable_retrying') : undefined,
        statusUrl: `${pageUrl}/status`,
        pageUrl,
        pollMs: opts.pagePollMs,
        refreshSeconds: Math.max(2, Math.round(opts.pagePollMs / 1000)),
        cancelAction: `${pageUrl}/cancel`,
        csrf: h.csrf(s.interactionUid),
      });
    });

    router.get(`${BASE}/:id/status`, async (ctx) => {
      const s = await stepUp.current(ctx);
      const view = await own(ctx, s, true);
      const locale = s.locale as Locale;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = {
        state: view.state,
        frejaStatus: view.frejaStatus ?? null,
        text: translate(locale, view.statusKey),
        problem: view.problemKey ? translate(locale, 'verification.freja.unavailable_retrying') : null,
      };
    });

    router.post(`${BASE}/:id/cancel`, async (ctx) => {
      const s = await stepUp.current(ctx);
      h.requireCsrf(ctx, s.interactionUid);
      await own(ctx, s, false);
      const view = await verifications.cancel(ctx.params.id!);
      backToStepUp(ctx, s, view);
    });
  };
}
