/**
 * Composes the HTTP application. The oidc-provider instance is itself the koa app: our middleware
 * and routers run first, anything they do not handle falls through to the provider's endpoints.
 */
import Router from '@koa/router';
import compose from 'koa-compose';
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';

import type { Config } from './config.js';
import { AppError } from './errors.js';
import { ping, type Db } from './db/index.js';
import { logFailure } from './db/unavailable.js';
import type { Logger } from './logger.js';
import { renderPageError } from './interactions/errors.js';
import { interactionRouter, type InteractionDeps } from './interactions/router.js';
import { providerRequestScope } from './oidc/adapter.js';
import { publishedDocuments, type LiveDocument } from './oidc/published-documents.js';
import { requestContext, staticFiles } from './web/security.js';

export interface AppDeps {
  config: Config;
  db: Db;
  log: Logger;
  provider: Provider;
  extendInteractions?: NonNullable<InteractionDeps['extend']>[];
  /** Further routers (admin console, sandbox pages, callbacks of verification providers). */
  routers?: Router[];
  /** The JWKS as published now (read again from the database now and then). */
  jwks?: LiveDocument;
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

  const extensions = deps.extendInteractions ?? [];
  const interactions = interactionRouter({ config, db, provider, extend: (router, helpers) => extensions.forEach((extend) => extend(router, helpers)) });

  provider.use(requestContext(deps.log));
  provider.use(notFoundPage(config));
  provider.use(publishedDocuments(['/.well-known/openid-configuration', '/jwks'], deps.jwks ? { '/jwks': deps.jwks } : {}));
  provider.use(
    providerRequestScope(db, {
      onError: (err, ctx) => logFailure((ctx.state.log as Logger | undefined) ?? deps.log, 'saving the tokens of a token request failed')(err),
      onAuthorizationError: (err, ctx) => {
        // Neither sent on nor given the provider's new cookies: the browser keeps the ones it
        // had, so the same step can be tried again and nothing of the login is lost.
        ctx.remove('Location');
        ctx.remove('Set-Cookie');
        renderPageError(ctx, config, err);
      },
      onConflict: (grants) => deps.log.warn({ grants: grants.length }, 'a code or refresh token was redeemed twice at once: its grant is revoked'),
    }),
  );
  provider.use(staticFiles);
  // Our routers only see the paths they serve: the provider's own endpoints (token, JWKS, …)
  // pass straight through without being matched against every route of every router.
  provider.use(dispatchByFirstSegment([ops, interactions, ...(deps.routers ?? [])]));
  return provider;
}

/** A path nobody serves: a translated page (JSON when asked for), not koa's plain "Not Found". */
function notFoundPage(config: Config): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 404 || ctx.body != null) return;
    renderPageError(ctx, config, new AppError({ code: 'not_found', status: 404, messageKey: 'error.not_found' }));
  };
}

/** The first path segment of each route, e.g. "/admin" for "/admin/api/qors/:id". */
function firstSegments(router: Router): string[] {
  return [
    ...new Set(
      router.stack.map((layer) => {
        if (typeof layer.path !== 'string') throw new Error('routers mounted on the app use string paths');
        return `/${layer.path.split('/')[1] ?? ''}`;
      }),
    ),
  ];
}

function dispatchByFirstSegment(routers: Router[]): Middleware {
  const bySegment = new Map<string, Middleware[]>();
  for (const router of routers) {
    const routes = router.routes() as unknown as Middleware;
    for (const segment of firstSegments(router)) bySegment.set(segment, [...(bySegment.get(segment) ?? []), routes]);
  }
  const chains = new Map([...bySegment].map(([segment, list]) => [segment, compose(list)]));
  return (ctx, next) => {
    const slash = ctx.path.indexOf('/', 1);
    const chain = chains.get(slash === -1 ? ctx.path : ctx.path.slice(0, slash));
    return chain ? chain(ctx, next) : next();
  };
}
