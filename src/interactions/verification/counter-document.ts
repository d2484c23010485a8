/**
 * The counter document outside the login: the user prints it or shows it on the phone days
 * later, so it is reached by an unguessable link (`/counter/documents/<case>?key=<HMAC>`), not
 * by a session. The link shows the document while the case is open, and only the case's state (no
 * personal data) once it is closed.
 */
import Router from '@koa/router';
import type { Context } from 'koa';

import type { Config, Locale } from '../../config.js';
import { AppError } from '../../errors.js';
import { checkDocumentMac, counterPdf, formatShortCode, qrSvg, type CounterCase, type CounterDocument, type CounterKeys, type CounterService } from '../../verification/manual/index.js';
import { translate } from '../../web/i18n.js';
import { renderPage } from '../../web/render.js';
import { pageErrors } from '../errors.js';
import { chooseLocale, languageLinks } from '../locale.js';

/** A date and time as people in Switzerland read it, in the page language. */
export function formatDateTime(locale: Locale, date: Date): string {
  return new Intl.DateTimeFormat(`${locale}-CH`, { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Zurich' }).format(date);
}

export function formatBirthDate(locale: Locale, isoDate: string): string {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  return new Intl.DateTimeFormat(`${locale}-CH`, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** The document's texts in one language. */
export function counterDocument(locale: Locale, c: CounterCase): CounterDocument {
  const t = (key: string, params?: Record<string, string | number>) => translate(locale, key, params);
  return {
    title: t('counter.title'),
    intro: t('counter.doc.intro'),
    steps: [t('counter.doc.step1'), t('counter.doc.step2'), t('counter.doc.step3')],
    codeLabel: t('counter.doc.code'),
    shortCode: formatShortCode(c.shortCode),
    validUntil: t('counter.doc.valid_until', { date: formatDateTime(locale, c.expiresAt) }),
    dataHeading: t('counter.doc.data'),
    rows: [
      { label: t('counter.doc.given_names'), value: c.claimed.givenNames },
      { label: t('counter.doc.family_name'), value: c.claimed.familyName },
      { label: t('counter.doc.birth_date'), value: formatBirthDate(locale, c.claimed.birthDate) },
      ...(c.claimed.nationality ? [{ label: t('counter.doc.nationality'), value: c.claimed.nationality }] : []),
    ],
    footer: t('counter.doc.footer'),
  };
}

export function counterDocumentRouter(deps: { config: Config; service: CounterService; keys: CounterKeys }): Router {
  const { config, service, keys } = deps;
  const router = new Router();
  router.use(pageErrors(config));

  async function caseOf(ctx: Context): Promise<{ c: CounterCase; locale: Locale }> {
    const caseId = ctx.params.caseId ?? '';
    if (!checkDocumentMac(keys, caseId, ctx.query.key)) throw new AppError({ code: 'not_found', status: 404, messageKey: 'error.not_found' });
    const c = await service.find(caseId);
    if (!c) throw new AppError({ code: 'not_found', status: 404, messageKey: 'error.not_found' });
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Robots-Tag', 'noindex, nofollow');
    return { c, locale: chooseLocale(ctx, config, c.locale) };
  }

  function closed(ctx: Context, c: CounterCase, locale: Locale): void {
    ctx.status = 410;
    ctx.type = 'html';
    ctx.body = renderPage('verification/counter_closed.njk', locale, { langLinks: languageLinks(ctx), state: c.state, message: translate(locale, `counter.doc.closed.${c.state}`) });
  }

  router.get('/counter/documents/:caseId', async (ctx) => {
    const { c, locale } = await caseOf(ctx);
    if (c.state !== 'open') return closed(ctx, c, locale);
    ctx.type = 'html';
    ctx.body = renderPage('verification/counter_document.njk', locale, {
      langLinks: languageLinks(ctx),
      doc: counterDocument(locale, c),
      qr: await qrSvg(await service.scanUrl(config.issuer, c)),
      pdfHref: `${service.documentLinks(c).pdf}&lang=${locale}`,
    });
  });

  router.get('/counter/documents/:caseId/pdf', async (ctx) => {
    const { c, locale } = await caseOf(ctx);
    if (c.state !== 'open') return closed(ctx, c, locale);
    ctx.type = 'application/pdf';
    ctx.set('Content-Disposition', 'inline; filename="counter-identification.pdf"');
    ctx.body = await counterPdf(counterDocument(locale, c), await service.scanUrl(config.issuer, c));
  });

  return router;
}
