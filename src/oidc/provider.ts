/**
 * The oidc-provider configuration: storage, keys, clients, the flows we allow (authorization code
 * with PKCE S256 only), tokens, claims and our own pages for errors and logout.
 */
import type { Context } from 'koa';
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC, type UnknownObject } from 'oidc-provider';

import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import { isDatabaseUnavailable, logUnavailable } from '../db/unavailable.js';
import type { Logger } from '../logger.js';
import { CookieKeys } from '../web/cookie-keys.js';
import { renderPage } from '../web/render.js';
import { answerUnavailable } from '../web/unavailable.js';
import { pickLocale, translate } from '../web/i18n.js';
import { createAdapter } from './adapter.js';
import { installHashedClientSecrets } from './clients.js';
import { requestedAcrValues, selectVerifiedClaims } from '../qor/index.js';
import { recordGrantLogin } from './grant-logins.js';
import type { GrantLoginDetails } from './request-scope.js';
import { asksForAhvNumber, CLAIMS, SCOPES } from './claims.js';
import { ahvClaimAllowed, EXTRA_CLIENT_METADATA, minimumAcrOf } from './client-policy.js';

/** What the token being issued says about the authorization it stems from. */
export interface ClaimsContext {
  /** The acr values the relying party asked for (acr_values, claims parameter, default_acr_values). */
  requested: string[];
  /** The client's `minimum_acr`, if any. */
  minimum: string | undefined;
  /** How the user authenticated for this authorization (RFC 8176), when known. */
  amr: string[] | undefined;
  /** True when the client may receive the AHV number (`ahv_claim_allowed`) and this authorization asked for it. */
  ahvNumber: boolean;
  /** The grant of the token the claims are for: its login's Mobile ID serial (src/oidc/grant-logins.ts). */
  grantId: string | undefined;
}

export interface AccountLookup {
  /** Returns the claims of an account, or undefined when the account does not exist. */
  findAccount(sub: string, context: ClaimsContext): Promise<Record<string, unknown> | undefined>;
}

export interface ProviderOptions {
  config: Config;
  db: Db;
  jwks: { keys: unknown[] };
  log: Logger;
  accounts: AccountLookup;
  /** The acr values relying parties may request (from the policy tables). */
  acrValues?: string[];
  /** Seconds a login at this level stays good for single sign-on, when the level says so. */
  maxAuthenticationAge?: (acr: string) => Promise<number | undefined>;
}

/**
 * The login prompt, plus one check of ours: a session whose acr is not among the values this
 * request asks for (or the client's minimum) logs in again, so the policy is evaluated anew.
 */
function buildInteractionPolicy(maxAuthenticationAge: ProviderOptions['maxAuthenticationAge']) {
  const { Check } = interactionPolicy;
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(
    new Check('acr_not_met', 'the session does not meet the requested level', 'login_required', async (ctx) => {
      const { oidc } = ctx;
      if (!oidc.session?.accountId || oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
      const values = requestedAcrValues(oidc.claims).values;
      const minimum = minimumAcrOf(oidc.client);
      if (minimum) values.push(minimum);
      if (values.length === 0) return Check.NO_NEED_TO_PROMPT;
      if (!oidc.acr || !values.includes(oidc.acr)) return Check.REQUEST_PROMPT;
      // A level may ask for a recent authentication (its own max_age).
      const maxAge = await maxAuthenticationAge?.(oidc.acr);
      if (maxAge !== undefined && oidc.session.past(maxAge)) return Check.REQUEST_PROMPT;
      return Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}

type OidcContext = KoaContextWithOIDC & Context;

/** The page language of any provider-rendered page (error, logout). */
export function pageLocale(ctx: Context, config: Config) {
  const oidc = (ctx as Partial<KoaContextWithOIDC>).oidc;
  const uiLocales = (oidc?.params?.ui_locales as string | undefined) ?? (typeof ctx.query.ui_locales === 'string' ? ctx.query.ui_locales : undefined);
  return pickLocale({ uiLocales, acceptLanguage: (l) => ctx.acceptsLanguages(l), fallback: config.defaultLocale });
}

/** Maps an OAuth error to the sentence a person can act upon. */
function errorMessageKey(out: { error: string; error_description?: string | undefined }): string {
  const description = out.error_description ?? '';
  if (out.error === 'invalid_client') return 'error.invalid_client';
  // A parameter left out (redirect_uri among them) makes an incomplete request, not an unregistered address.
  if (/^missing required parameter/.test(description)) return 'error.invalid_request';
  if (out.error === 'invalid_redirect_uri' || /redirect_uri/.test(description)) return 'error.invalid_redirect_uri';
  // Before invalid_request, whose kind it is: a login resumed once more (the back button, a second
  // tab) or after its time, not a malformed request.
  if (out.error === 'session_not_found' || /interaction session/.test(description)) return 'error.session_expired';
  if (out.error === 'invalid_request' || out.error === 'unsupported_response_type') return 'error.invalid_request';
  return 'error.generic';
}

export function createProvider(opts: ProviderOptions): Provider {
  const { config, db, jwks, log, accounts } = opts;
  const resourceServers = new Map(config.resourceServers.map((rs) => [rs.identifier, rs]));

  const configuration: Configuration = {
    adapter: createAdapter(db, { clientCacheSeconds: config.clientCacheSeconds }),
    jwks: jwks as Configuration['jwks'],
    cookies: {
      // Keygrip's signatures, checked at less cost (src/web/cookie-keys.ts).
      keys: new CookieKeys(config.cookieSecrets) as unknown as NonNullable<NonNullable<Configuration['cookies']>['keys']>,
      names: { session: 'scl_session', interaction: 'scl_interaction', resume: 'scl_resume' },
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
      introspectionSigningAlgValues: ['RS256', 'ES256'],
      authorizationSigningAlgValues: ['RS256', 'ES256'],
    },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    scopes: Object.keys(SCOPES),
    claims: CLAIMS,
    acrValues: opts.acrValues ?? [],
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          const locale = pageLocale(ctx, config);
          ctx.type = 'html';
          ctx.body = renderPage('logout.njk', locale, {
            form,
            clientName: ctx.oidc.client?.clientName,
          });
        },
        postLogoutSuccessSource: async (ctx) => {
          const locale = pageLocale(ctx, config);
          ctx.type = 'html';
          ctx.body = renderPage('logout_done.njk', locale, { clientName: ctx.oidc.client?.clientName });
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          const rs = resourceServers.get(resourceIndicator);
          if (!rs) throw new errors.InvalidTarget();
          return {
            scope: rs.scope,
            audience: rs.identifier,
            accessTokenTTL: config.ttl.accessToken,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    ttl: {
      AccessToken: config.ttl.accessToken,
      ClientCredentials: config.ttl.accessToken,
      AuthorizationCode: 60,
      IdToken: config.ttl.idToken,
      Interaction: 3600,
      Grant: config.ttl.refreshToken,
      Session: config.ttl.session,
      RefreshToken: config.ttl.refreshToken,
    },
    rotateRefreshToken: () => true,
    allowOmittingSingleRegisteredRedirectUri: false,
    clientBasedCORS: (_ctx, origin, client) =>
      client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false,
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: buildInteractionPolicy(opts.maxAuthenticationAge),
    },
    extraClientMetadata: {
      properties: [...EXTRA_CLIENT_METADATA],
      validator: (_ctx, key, value) => {
        if (key === 'minimum_acr' && value !== undefined && !(opts.acrValues ?? []).includes(String(value))) {
          throw new errors.InvalidClientMetadata('minimum_acr must be one of acr_values_supported');
        }
        if (key === 'ahv_claim_allowed' && value !== undefined && typeof value !== 'boolean') {
          throw new errors.InvalidClientMetadata('ahv_claim_allowed must be a boolean');
        }
      },
    },
    // Relying parties are registered by administrators, so the scopes and claims they ask for are
    // granted without a consent page.
    loadExistingGrant: async (ctx) => {
      const { client, session, params } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
      const grant = (grantId && (await ctx.oidc.provider.Grant.find(grantId))) ||
        new ctx.oidc.provider.Grant({ accountId: session.accountId, clientId: client.clientId });
      grant.addOIDCScope(String(params?.scope ?? 'openid'));
      const claims = params?.claims ? (JSON.parse(String(params.claims)) as { id_token?: UnknownObject; userinfo?: UnknownObject }) : {};
      const requested = [...Object.keys(claims.id_token ?? {}), ...Object.keys(claims.userinfo ?? {})];
      if (requested.length) grant.addOIDCClaims(requested);
      if (params?.resource) {
        for (const resource of ([] as string[]).concat(params.resource as string | string[])) {
          const rs = resourceServers.get(resource);
          if (rs) grant.addResourceScope(resource, rs.scope);
        }
      }
      await grant.save();
      const login = ctx.oidc.result?.login as { serial?: unknown; details?: GrantLoginDetails } | undefined;
      await recordGrantLogin(db, grant.jti, session.uid, login ? { serial: typeof login.serial === 'string' ? login.serial : null, details: login.details } : undefined);
      return grant;
    },
    findAccount: async (ctx, sub) => {
      const source = (ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken ?? ctx.oidc.entities.AccessToken) as
        | { claims?: unknown; amr?: string[]; scope?: unknown; grantId?: string }
        | undefined;
      const claims = await accounts.findAccount(sub, {
        requested: requestedAcrValues(source?.claims ?? ctx.oidc.claims).values,
        minimum: minimumAcrOf(ctx.oidc.client),
        amr: source?.amr,
        grantId: source?.grantId,
        ahvNumber: ahvClaimAllowed(ctx.oidc.client) && asksForAhvNumber(source),
      });
      if (!claims) return undefined;
      return {
        accountId: sub,
        claims: async (_use, _scope, requested) => ({
          ...selectVerifiedClaims(claims, (requested as { verified_claims?: unknown } | undefined)?.verified_claims),
          sub,
        }),
      };
    },
    // RFC 9470: access tokens (JWT form and introspection) say how and when the user authenticated.
    extraTokenClaims: async (ctx, token) => {
      if (!('accountId' in token) || !token.accountId) return undefined;
      const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken ?? ctx.oidc.entities.DeviceCode;
      const acr = (source as { acr?: string } | undefined)?.acr;
      const authTime = (source as { authTime?: number } | undefined)?.authTime;
      return { ...(acr ? { acr } : {}), ...(authTime ? { auth_time: authTime } : {}) };
    },
    renderError: async (ctx, out, error) => {
      const locale = pageLocale(ctx, config);
      const key = errorMessageKey(out);
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      (ctx.state.log as Logger | undefined ?? log).info({ error: out.error, description: out.error_description, status }, 'error page');
      ctx.type = 'html';
      ctx.body = renderPage('error.njk', locale, {
        message: translate(locale, key),
        code: out.error,
        requestId: ctx.state.requestId,
      });
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;
  installHashedClientSecrets(provider);

  provider.on('server_error', (ctx, err) => {
    const logger = (ctx.state.log as Logger | undefined) ?? log;
    // The answer is not sent yet: a database that cannot be reached gets 503, not a bug's 500.
    if (isDatabaseUnavailable(err)) {
      logUnavailable(logger, err);
      return answerUnavailable(ctx, ctx.accepts('json', 'html') === 'html' ? pageLocale(ctx, config) : undefined);
    }
    logger.error({ err }, 'oidc server error');
  });
  return provider;
}

export type { OidcContext };
