import type { Context, Next } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';

import type { Config } from '../config.js';
import { isDatabaseUnavailable, logUnavailable } from '../db/unavailable.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { translate } from '../web/i18n.js';
import { renderPage } from '../web/render.js';
import { answerUnavailable } from '../web/unavailable.js';
import { chooseLocale } from './locale.js';

/** Renders any error of our own pages as a translated page; details go to the log only. */
export function pageErrors(config: Config) {
  return async function pageErrorsMiddleware(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (err) {
      renderPageError(ctx, config, err);
    }
  };
}

/** Answers the request with the translated page (or JSON) for `err`, which is logged. */
export function renderPageError(ctx: Context, config: Config, err: unknown): void {
  const log = ctx.state.log as Logger;
  if (!(err instanceof AppError) && isDatabaseUnavailable(err)) {
    logUnavailable(log, err);
    return answerUnavailable(ctx, ctx.accepts('html', 'json') === 'json' ? undefined : chooseLocale(ctx, config));
  }
  let status = 500;
  let key = 'error.generic';
  let code = 'server_error';
  let params: Record<string, string | number> = {};
  if (err instanceof AppError) {
    ({ status, messageKey: key, code, params } = err);
    log[status >= 500 ? 'error' : 'info']({ code, detail: err.detail }, 'page error');
  } else if (err instanceof oidcErrors.SessionNotFound || err instanceof oidcErrors.InvalidRequest) {
    status = 400;
    key = 'error.session_expired';
    code = 'session_not_found';
    log.info({ code }, 'interaction not found');
  } else {
    log.error({ err }, 'unhandled error');
  }
  const locale = chooseLocale(ctx, config);
  ctx.status = status;
  if (ctx.accepts('html', 'json') === 'json') {
    ctx.body = { error: code, message: translate(locale, key, params) };
    return;
  }
  ctx.type = 'html';
  ctx.body = renderPage('error.njk', locale, { message: translate(locale, key, params), code, requestId: ctx.state.requestId });
}
