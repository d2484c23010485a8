/**
 * The sandbox's demo relying party at /sandbox: a real OpenID client (openid-client, code flow
 * with PKCE) registered as a public client, that starts a login and shows the id_token and
 * userinfo claims. Only mounted in sandbox mode.
 */
import crypto from 'node:crypto';

import Router from '@koa/router';
import type { Context } from 'koa';
import * as oidc from 'openid-client';
import type Provider from 'oidc-provider';

import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import { registerClient } from '../oidc/clients.js';
import { chooseLocale, languageLinks } from '../interactions/locale.js';
import { renderPage } from '../web/render.js';

export const DEMO_CLIENT_ID = 'sandbox-demo';
const COOKIE = 'scl_demo';

interface PendingLogin {
  verifier: string;
  state: string;
  nonce: string;
}

export async function ensureDemoClient(provider: Provider, db: Db, config: Config): Promise<void> {
  const existing = await db('oidc_payloads').where({ model: 'Client', id: DEMO_CLIENT_ID }).first();
  if (existing) {
    const payload = typeof existing.payload === 'string' ? JSON.parse(existing.payload) : existing.payload;
    if (payload.ahv_claim_allowed === true) return;
    // Registered by an older version: the demo is allowed the AHV number claim now.
    await db('oidc_payloads').where({ model: 'Client', id: DEMO_CLIENT_ID }).delete();
  }
  await registerClient(provider, db, {
    client_id: DEMO_CLIENT_ID,
    client_name: 'Sandbox demo service',
    token_endpoint_auth_method: 'none',
    redirect_uris: [`${config.issuer}/sandbox/callback`],
    post_logout_redirect_uris: [`${config.issuer}/sandbox`],
    ahv_claim_allowed: true,
  });
}

export function demoRpRouter(opts: { config: Config; phoneUrl: string; acrValues: string[] }): Router {
  const { config } = opts;
  const router = new Router({ prefix: '/sandbox' });
  let discovered: Promise<oidc.Configuration> | undefined;
  const rpConfig = () => {
    discovered ??= oidc
      .discovery(new URL(config.issuer), DEMO_CLIENT_ID, undefined, oidc.None(), config.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {})
      .catch((err: unknown) => {
        discovered = undefined;
        throw err;
      });
    return discovered;
  };

  const page = (ctx: Context, template: string, vars: Record<string, unknown>) => {
    const locale = chooseLocale(ctx, config);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = renderPage(template, locale, { langLinks: languageLinks(ctx), ...vars });
  };

  router.get('/', (ctx) => {
    page(ctx, 'sandbox/demo.njk', { phoneUrl: opts.phoneUrl, acrValues: opts.acrValues });
  });

  router.get('/login', async (ctx) => {
    const config = await rpConfig();
    const pending: PendingLogin = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
    ctx.cookies.set(COOKIE, Buffer.from(JSON.stringify(pending)).toString('base64url'), { httpOnly: true, sameSite: 'lax', signed: true, maxAge: 10 * 60_000, secure: ctx.secure });
    const scope = ['openid', 'phone', 'profile', ...(ctx.query.location === '1' ? ['mobileid_location'] : []), ...(ctx.query.ahv === '1' ? ['ahv'] : [])].join(' ');
    const acr = typeof ctx.query.acr === 'string' && opts.acrValues.includes(ctx.query.acr) ? ctx.query.acr : undefined;
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${opts.config.issuer}/sandbox/callback`,
      scope,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      ui_locales: chooseLocale(ctx, opts.config),
      ...(acr ? { acr_values: acr } : {}),
      ...(ctx.query.prompt === 'login' ? { prompt: 'login' } : {}),
    });
    ctx.redirect(url.href);
  });

  router.get('/callback', async (ctx) => {
    const raw = ctx.cookies.get(COOKIE, { signed: true });
    ctx.cookies.set(COOKIE, null);
    if (!raw) {
      ctx.status = 400;
      return page(ctx, 'sandbox/result.njk', { error: 'This login was not started here (or took longer than 10 minutes). Start again.' });
    }
    const pending = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as PendingLogin;
    const config = await rpConfig();
    const current = new URL(ctx.originalUrl, opts.config.issuer);
    if (current.searchParams.has('error')) {
      ctx.status = 400;
      return page(ctx, 'sandbox/result.njk', { error: `${current.searchParams.get('error')}: ${current.searchParams.get('error_description') ?? ''}` });
    }
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce });
      const claims = tokens.claims()!;
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${opts.config.issuer}/sandbox` });
      page(ctx, 'sandbox/result.njk', {
        idToken: JSON.stringify(claims, null, 2),
        userinfo: JSON.stringify(userinfo, null, 2),
        rawIdToken: tokens.id_token,
        logoutUrl: logout.href,
      });
    } catch (err) {
      ctx.status = 400;
      page(ctx, 'sandbox/result.njk', { error: err instanceof Error ? err.message : 'the code could not be redeemed', reference: crypto.randomUUID() });
    }
  });

  return router;
}
