/**
 * The user-facing pages of a login: oidc-provider hands the browser to /interaction/:uid, we ask
 * for the phone number, run Mobile ID (and, when needed, the step-up), then finish the interaction.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';

import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import { runWrites, type Write } from '../db/statements.js';
import { AppError } from '../errors.js';
import { saveWriteOf } from '../oidc/adapter.js';
import { checkCsrf, csrfToken } from '../web/csrf.js';
import { renderPage } from '../web/render.js';
import { pageErrors } from './errors.js';
import { chooseLocale, languageLinks } from './locale.js';

export interface InteractionDeps {
  config: Config;
  db: Db;
  provider: Provider;
  /** Further routes below /interaction/:uid (the login methods), mounted on the same router. */
  extend?: (router: Router, helpers: InteractionHelpers) => void;
}

export interface InteractionHelpers {
  /**
   * Complete the interaction (login result or error) and send the browser back to the provider;
   * `writes` (what led to the result) are committed with the interaction, in one statement.
   */
  finish(ctx: Context, result: InteractionResults, writes?: readonly Write[]): Promise<void>;
  details(ctx: Context): ReturnType<Provider['interactionDetails']>;
  /** The page language; `details` gives the RP's ui_locales (or any stand-in for them). */
  locale(ctx: Context, details?: { params: Record<string, unknown> }): ReturnType<typeof chooseLocale>;
  csrf(uid: string): string;
  requireCsrf(ctx: Context, uid: string): void;
  page(ctx: Context, template: string, locale: ReturnType<typeof chooseLocale>, vars: Record<string, unknown>): void;
}

export function interactionRouter(deps: InteractionDeps): Router {
  const { config, db, provider } = deps;
  const secret = config.cookieSecrets[0]!;
  const router = new Router();
  router.use(pageErrors(config));
  router.use(bodyParser({ enableTypes: ['form', 'json'], formLimit: '16kb', jsonLimit: '16kb' }));

  /** The interaction of this request, loaded (and its cookie checked) once per request. */
  function details(ctx: Context): ReturnType<Provider['interactionDetails']> {
    const state = ctx.state as { interaction?: ReturnType<Provider['interactionDetails']> };
    state.interaction ??= provider.interactionDetails(ctx.req, ctx.res);
    return state.interaction;
  }

  /** As provider.interactionResult (without merging earlier submissions), on the interaction already loaded. */
  async function finish(ctx: Context, result: InteractionResults, writes: readonly Write[] = []): Promise<void> {
    const interaction = await details(ctx);
    interaction.result = result;
    const ttl = interaction.exp - Math.floor(Date.now() / 1000);
    if (writes.length) await runWrites(db, [...writes, await saveWriteOf(interaction, ttl)]);
    else await interaction.save(ttl);
    ctx.status = 303;
    ctx.redirect(interaction.returnTo);
  }

  const helpers: InteractionHelpers = {
    finish,
    details,
    locale: (ctx, details) => chooseLocale(ctx, config, details?.params.ui_locales as string | undefined),
    csrf: (uid) => csrfToken(secret, uid),
    requireCsrf: (ctx, uid) => {
      const body = ctx.request.body as Record<string, unknown> | undefined;
      if (!checkCsrf(secret, uid, body?.csrf ?? ctx.get('x-csrf-token'))) {
        throw new AppError({ code: 'csrf_failed', status: 403, messageKey: 'error.csrf' });
      }
    },
    page: (ctx, template, locale, vars) => {
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = renderPage(template, locale, { langLinks: languageLinks(ctx), ...vars });
    },
  };

  router.get('/interaction/:uid', async (ctx) => {
    const details = await helpers.details(ctx);
    const locale = helpers.locale(ctx, details);
    const client = await provider.Client.find(String(details.params.client_id));
    const uid = details.uid;
    helpers.page(ctx, 'login.njk', locale, {
      action: `/interaction/${uid}/login`,
      abortAction: `/interaction/${uid}/abort`,
      csrf: helpers.csrf(uid),
      clientName: client?.clientName,
      phone: '',
    });
  });

  router.post('/interaction/:uid/abort', async (ctx) => {
    const details = await helpers.details(ctx);
    helpers.requireCsrf(ctx, details.uid);
    await finish(ctx, { error: 'access_denied', error_description: 'the user cancelled the login' });
  });

  deps.extend?.(router, helpers);
  return router;
}
