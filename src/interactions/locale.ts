import type { Context } from 'koa';

import type { Config, Locale } from '../config.js';
import { SUPPORTED_LOCALES } from '../config.js';
import { isLocale, pickLocale } from '../web/i18n.js';

const LANG_COOKIE = 'scl_lang';

/**
 * The page language: an explicit choice (`?lang=`, remembered in a cookie), then the RP's
 * `ui_locales`, then Accept-Language, then the configured default.
 */
export function chooseLocale(ctx: Context, config: Config, uiLocales?: string): Locale {
  const explicit = ctx.query.lang;
  if (isLocale(explicit)) {
    ctx.cookies.set(LANG_COOKIE, explicit, { httpOnly: true, sameSite: 'lax', maxAge: 365 * 24 * 3600 * 1000, secure: ctx.secure });
    return explicit;
  }
  const remembered = ctx.cookies.get(LANG_COOKIE);
  if (isLocale(remembered)) return remembered;
  return pickLocale({ uiLocales, acceptLanguage: (l) => ctx.acceptsLanguages(l), fallback: config.defaultLocale });
}

/** Links to the same page in every language. */
export function languageLinks(ctx: Context): { code: Locale; href: string }[] {
  return SUPPORTED_LOCALES.map((code) => {
    const params = new URLSearchParams(ctx.querystring);
    params.set('lang', code);
    return { code, href: `${ctx.path}?${params.toString()}` };
  });
}
