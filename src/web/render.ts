/**
 * Server-side pages: nunjucks templates from views/, autoescaped, with `t(key, params)` bound to
 * the page language.
 */
import { fileURLToPath } from 'node:url';

import nunjucks from 'nunjucks';

import type { Locale } from '../config.js';
import { translate } from './i18n.js';

const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS_DIR, { noCache: false }), {
  autoescape: true,
  throwOnUndefined: false,
});

export function renderPage(template: string, locale: Locale, vars: Record<string, unknown> = {}): string {
  return env.render(template, {
    ...vars,
    locale,
    t: (key: string, params?: Record<string, string | number>) => translate(locale, key, params),
  });
}
