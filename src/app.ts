/**
 * Composes the HTTP application. The oidc-provider instance is itself the koa app: our middleware
 * and routers run first, anything they do not handle falls through to the provider's endpoints.
 */
import Router from '@koa/router';
import type Provider from 'oidc-provider';

import type { Config } from './config.js';
import { ping, type Db } from './db/index.js';
import type { Logger } from './logger.js';
import { interactionRouter, type InteractionDeps } from './interactions/router.js';
import { requestContext, staticFiles } from './web/security.js';

export interface AppDeps {
  config: Config;
  db: Db;
  log: Logger;
  provider: Provider;
  extendInteractions?: NonNullable<InteractionDeps['extend']>[];
  /** Further routers (admin console, sandbox pages, callbacks of verification providers). */
  routers?: Router[];
}

export function composeApp(deps: AppDeps): Provider {
  const { provider, db, config } = deps;

  const ops = new Router();
  ops.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  ops.get('/readyz', async (ctx) => {
    const ok = await ping(db);
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ok' : 'unavailable', database: ok ? 'ok' : 'unreachable' };
  });

  provider.use(requestContext(deps.log));
  provider.use(staticFiles);
  provider.use(ops.routes());
  const extensions = deps.extendInteractions ?? [];
  provider.use(interactionRouter({ config, provider, extend: (router, helpers) => extensions.forEach((extend) => extend(router, helpers)) }).routes());
  for (const router of deps.routers ?? []) provider.use(router.routes());
  return provider;
}
