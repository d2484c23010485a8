/**
 * Translations for every page: views/locales/{en,de,fr,it}.json, plus the catalogues that domains
 * keep beside their code (e.g. src/mobileid/messages.json) registered with `addMessages`.
 * Lookup falls back to English, then to the key itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { SUPPORTED_LOCALES, type Locale } from '../config.js';

type Catalogue = Record<string, string>;

const LOCALES_DIR = fileURLToPath(new URL('../../views/locales/', import.meta.url));

const catalogues: Record<Locale, Catalogue> = { en: {}, de: {}, fr: {}, it: {} };

for (const locale of SUPPORTED_LOCALES) {
  const file = path.join(LOCALES_DIR, `${locale}.json`);
  Object.assign(catalogues[locale], JSON.parse(fs.readFileSync(file, 'utf8')) as Catalogue);
}

/** Register further messages, shaped `{ en: {key: text}, de: {...}, ... }`. */
export function addMessages(messages: Partial<Record<Locale, Catalogue>>): void {
  for (const locale of SUPPORTED_LOCALES) Object.assign(catalogues[locale], messages[locale] ?? {});
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (SUPPORTED_LOCALES as readonly string[]).includes(value);
}

export function hasMessage(key: string, locale: Locale = 'en'): boolean {
  return key in catalogues[locale];
}

export function translate(locale: Locale, key: string, params: Record<string, string | number> = {}): string {
  const text = catalogues[locale][key] ?? catalogues.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export function catalogueKeys(locale: Locale): string[] {
  return Object.keys(catalogues[locale]);
}

/**
 * The page language: the first supported entry of `ui_locales` (space separated, RFC 5646 tags),
 * else the best Accept-Language match, else the configured default.
 */
export function pickLocale(opts: {
  uiLocales?: string | undefined;
  acceptLanguage?: (langs: string[]) => string | false;
  fallback: Locale;
}): Locale {
  for (const tag of (opts.uiLocales ?? '').split(/\s+/)) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLocale(base)) return base;
  }
  const accepted = opts.acceptLanguage?.([...SUPPORTED_LOCALES]);
  if (accepted && isLocale(accepted)) return accepted;
  return opts.fallback;
}
