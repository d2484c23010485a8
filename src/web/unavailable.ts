/**
 * The answer to a request that failed because the database cannot be reached for the moment
 * (`isDatabaseUnavailable`): 503 with Retry-After, in the form the caller asked for — the OAuth
 * error `temporarily_unavailable` for JSON, the translated "try again in a moment" page for a
 * browser. The request can be sent again once the database is back (the statements a request
 * needs are written together, in one commit, where it matters: tokens, the finished interaction).
 */
import type { Context } from 'koa';

import type { Locale } from '../config.js';
import { translate } from './i18n.js';
import { renderPage } from './render.js';

export const RETRY_AFTER_SECONDS = 5;

/** `page`: the language of the page for a browser; undefined answers JSON. */
export function answerUnavailable(ctx: Context, page?: Locale): void {
  ctx.status = 503;
  ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
  if (!page) {
    ctx.body = { error: 'temporarily_unavailable', error_description: 'The service is briefly unavailable. Try again in a few seconds.' };
    return;
  }
  ctx.type = 'html';
  ctx.body = renderPage('error.njk', page, { message: translate(page, 'error.unavailable'), code: 'temporarily_unavailable', requestId: ctx.state.requestId });
}

