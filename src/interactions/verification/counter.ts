/**
 * Identification at a counter, the user's side: the step-up page's method, the form for the
 * identity to check, the case page during a login (state, QR code, links to the document,
 * withdraw), the document outside the login, and the sweep that closes expired cases.
 *
 *   /interaction/:uid/stepup/:loginId/counter          GET form · POST create the case
 *   /interaction/:uid/stepup/:loginId/counter/case     GET the open case
 *   /interaction/:uid/stepup/:loginId/counter/cancel   POST withdraw it
 *   /counter/documents/:caseId[/pdf]?key=<HMAC>          the document (HTML, PDF), no login needed
 *
 * The step-up page lists the open case's pending verification as "In progress"; starting the
 * counter again while a case is open leads to its case page.
 */
import type { Context } from 'koa';

import type { Locale } from '../../config.js';
import { logFailure } from '../../db/unavailable.js';
import type { Logger } from '../../logger.js';
import { parseClaimedIdentity, type ClaimedIdentity, type IdentityErrors } from '../../verification/identity.js';
import type { StepUpContext } from '../../verification/index.js';
import { checkOfferMac, COUNTER_MESSAGES, counterMethod, counterServiceFor, formatShortCode, qrSvg, type CounterCase, type CounterService } from '../../verification/manual/index.js';
import { isLocale, translate } from '../../web/i18n.js';
import type { InteractionHelpers } from '../router.js';
import { stepUpNoticeUrl, type MethodRoutes, type StepUpAccess } from '../stepup.js';
import { counterDocumentRouter, formatDateTime } from './counter-document.js';
import type { FeatureDeps, VerificationFeature } from './index.js';

const BASE = '/interaction/:uid/stepup/:loginId/counter';

/** Identity form fields by the names the form uses. */
const FORM_NAMES: Record<keyof ClaimedIdentity, string> = { givenNames: 'given_names', familyName: 'family_name', birthDate: 'birth_date', nationality: 'nationality' };

export function counterFeature(deps: FeatureDeps): VerificationFeature {
  const { config, db, log } = deps;
  const { service, keys } = counterServiceFor(config, db);

  const sweep = setInterval(() => {
    service.expire().catch(logFailure(log, 'closing expired counter cases failed'));
  }, config.sweepIntervalSeconds * 1000);
  sweep.unref();

  return {
    methods: [counterMethod(service, keys)],
    routes: counterRoutes(service, keys, config.issuer),
    routers: [counterDocumentRouter({ config, service, keys })],
    messages: COUNTER_MESSAGES,
    async close() {
      clearInterval(sweep);
    },
  };
}

function see(ctx: Context, url: string): void {
  ctx.status = 303;
  ctx.redirect(url);
}

function counterRoutes(service: CounterService, keys: ReturnType<typeof counterServiceFor>['keys'], issuer: string): MethodRoutes {
  return (router, h: InteractionHelpers, stepUp: StepUpAccess) => {
    const localeOf = (ctx: Context, s: StepUpContext): Locale => (isLocale(s.locale) ? s.locale : h.locale(ctx));

    async function renderForm(ctx: Context, s: StepUpContext, values: Record<string, string>, errors: IdentityErrors, status = 200) {
      const locale = localeOf(ctx, s);
      const last = await service.lastClosedCaseOf(s.accountId);
      const lastText =
        last?.state === 'rejected'
          ? translate(locale, 'counter.last.rejected', { reason: translate(locale, `counter.reason.${last.reason ?? 'document_invalid'}`) })
          : last?.state === 'expired'
            ? translate(locale, 'counter.last.expired')
            : undefined;
      ctx.status = status;
      h.page(ctx, 'verification/counter_form.njk', locale, {
        action: `${s.returnUrl}/counter`,
        backHref: s.returnUrl,
        csrf: h.csrf(s.interactionUid),
        offer: values.offer ?? '',
        values,
        errors: Object.fromEntries(Object.entries(errors).map(([field, key]) => [FORM_NAMES[field as keyof ClaimedIdentity], translate(locale, key)])),
        last: lastText,
      });
    }

    router.get(BASE, async (ctx) => {
      const s = await stepUp.current(ctx);
      if (await service.openCaseOf(s.accountId)) return see(ctx, `${s.returnUrl}/counter/case`);
      const offer = typeof ctx.query.offer === 'string' ? ctx.query.offer : '';
      if (!checkOfferMac(keys, s.interactionUid, s.accountId, offer)) return see(ctx, stepUpNoticeUrl(s.returnUrl, 'verification.counter.not_offered'));
      await renderForm(ctx, s, { offer }, {});
    });

    router.post(BASE, async (ctx) => {
      const s = await stepUp.current(ctx);
      h.requireCsrf(ctx, s.interactionUid);
      const body = (ctx.request.body ?? {}) as Record<string, unknown>;
      if (!checkOfferMac(keys, s.interactionUid, s.accountId, body.offer)) return see(ctx, stepUpNoticeUrl(s.returnUrl, 'verification.counter.not_offered'));
      const parsed = parseClaimedIdentity(body, { requireNationality: true });
      if (parsed.errors) {
        const values = Object.fromEntries(['given_names', 'family_name', 'birth_date', 'nationality', 'offer'].map((k) => [k, typeof body[k] === 'string' ? (body[k] as string).slice(0, 200) : '']));
        return renderForm(ctx, s, values, parsed.errors, 400);
      }
      const { case: c, created } = await service.create({ accountId: s.accountId, claimed: parsed.identity, serial: s.serial, locale: localeOf(ctx, s) });
      (ctx.state.log as Logger).info({ case: c.id, created }, 'counter case created');
      see(ctx, `${s.returnUrl}/counter/case`);
    });

    router.get(`${BASE}/case`, async (ctx) => {
      const s = await stepUp.current(ctx);
      const c = await service.openCaseOf(s.accountId);
      if (!c) return see(ctx, stepUpNoticeUrl(s.returnUrl, 'verification.counter.no_case', 'info'));
      const locale = localeOf(ctx, s);
      const links = service.documentLinks(c);
      h.page(ctx, 'verification/counter_case.njk', locale, {
        state: inCheck(c) ? 'in_check' : 'open',
        stateText: inCheck(c) ? translate(locale, 'counter.case.state.in_check') : translate(locale, 'counter.case.state.open', { date: formatDateTime(locale, c.expiresAt) }),
        qr: await qrSvg(await service.scanUrl(issuer, c)),
        shortCode: formatShortCode(c.shortCode),
        documentHref: `${links.html}&lang=${locale}`,
        pdfHref: `${links.pdf}&lang=${locale}`,
        continueAction: `${s.returnUrl}/continue`,
        cancelAction: `${s.returnUrl}/counter/cancel`,
        stepUpHref: s.returnUrl,
        csrf: h.csrf(s.interactionUid),
      });
    });

    router.post(`${BASE}/cancel`, async (ctx) => {
      const s = await stepUp.current(ctx);
      h.requireCsrf(ctx, s.interactionUid);
      const c = await service.openCaseOf(s.accountId);
      const outcome = c ? await service.cancel(s.accountId, c.id) : 'not_open';
      if (outcome === 'cancelled') return see(ctx, stepUpNoticeUrl(s.returnUrl, 'verification.counter.cancelled', 'info'));
      if (outcome === 'in_check') return see(ctx, stepUpNoticeUrl(s.returnUrl, 'verification.counter.in_check'));
      see(ctx, stepUpNoticeUrl(s.returnUrl, 'verification.counter.no_case', 'info'));
    });
  };
}

/** A verifier holds the case right now. */
function inCheck(c: CounterCase, now = new Date()): boolean {
  return c.lockedBy !== null && c.lockExpiresAt !== null && c.lockExpiresAt > now;
}
