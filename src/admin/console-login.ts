/**
 * Administrators log in to the console through this provider itself: the console is a public
 * OpenID client (`servicecore-admin`, authorization code with PKCE, written like any RP with
 * openid-client) that asks for the Level of Trust configured as ADMIN_ACR and a login at most
 * MAX_AUTH_AGE_SECONDS old. After the callback the id_token must show that level and the account
 * must hold the `admin` role.
 */
import type { Context } from 'koa';
import * as oidc from 'openid-client';
import type Provider from 'oidc-provider';

import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../logger.js';
import { registerClient } from '../oidc/clients.js';
import { COOKIE_PATH } from './auth.js';

export const ADMIN_CLIENT_ID = 'servicecore-admin';
const PENDING_COOKIE = 'scl_admin_login';
const PENDING_SECONDS = 600;
/** The console wants a recent login, not any single sign-on session of the last days. */
export const MAX_AUTH_AGE_SECONDS = 600;

export const callbackUri = (config: Config) => `${config.issuer}/admin/callback`;
export const loggedOutUri = (config: Config) => `${config.issuer}/admin/logged-out`;

/**
 * Registers (or corrects) the console's client; idempotent, safe from several instances. Warns
 * when ADMIN_ACR names no value of the policy (nobody could then log in to the console).
 */
export async function ensureAdminClient(provider: Provider, db: Db, config: Config, opts: { log?: Logger; acrValues?: readonly string[] } = {}): Promise<void> {
  if (opts.acrValues && !opts.acrValues.includes(config.adminAcr)) {
    opts.log?.warn({ adminAcr: config.adminAcr }, 'ADMIN_ACR names no Level of Trust, QoR or QoA of the policy: nobody can log in to the admin console');
  }
  const wanted = {
    client_id: ADMIN_CLIENT_ID,
    client_name: 'ServiceCore Login administration',
    token_endpoint_auth_method: 'none',
    redirect_uris: [callbackUri(config)],
    post_logout_redirect_uris: [loggedOutUri(config)],
    grant_types: ['authorization_code'],
    scope: 'openid',
  };
  const existing = (await db('oidc_payloads').where({ model: 'Client', id: ADMIN_CLIENT_ID }).first('payload')) as { payload: unknown } | undefined;
  if (existing) {
    const payload = (typeof existing.payload === 'string' ? JSON.parse(existing.payload) : existing.payload) as Record<string, unknown>;
    const same = (Object.keys(wanted) as (keyof typeof wanted)[]).every((k) => JSON.stringify(payload[k]) === JSON.stringify(wanted[k]));
    if (same) return;
    // The issuer changed (or an older registration): register again with the current values.
    await db('oidc_payloads').where({ model: 'Client', id: ADMIN_CLIENT_ID }).delete();
  }
  try {
    await registerClient(provider, db, wanted);
  } catch (err) {
    // Another instance registered it at the same moment.
    if (!(await db('oidc_payloads').where({ model: 'Client', id: ADMIN_CLIENT_ID }).first('id'))) throw err;
  }
}

interface PendingLogin {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
}

/** Only paths of the console itself are followed after login. */
export function safeReturnPath(value: unknown): string {
  return typeof value === 'string' && /^\/admin(\/[\w\-./?=&%]*)?$/.test(value) && !value.includes('//') && !value.startsWith('/admin/api') ? value : '/admin/qors';
}

export type LoginOutcome =
  | { ok: true; accountId: string; acr: string; returnTo: string }
  | { ok: false; reason: 'not_started' | 'provider_error' | 'level'; detail?: string };

export class ConsoleLogin {
  private discovered: Promise<oidc.Configuration> | undefined;

  constructor(private readonly config: Config) {}

  private rp(): Promise<oidc.Configuration> {
    const { issuer } = this.config;
    this.discovered ??= oidc
      .discovery(new URL(issuer), ADMIN_CLIENT_ID, undefined, oidc.None(), issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {})
      .catch((err: unknown) => {
        this.discovered = undefined;
        throw err;
      });
    return this.discovered;
  }

  /** The authorization URL; remembers state, nonce and PKCE verifier in a signed cookie. */
  async start(ctx: Context, opts: { returnTo: string; locale: string; forceLogin: boolean }): Promise<URL> {
    const rp = await this.rp();
    const pending: PendingLogin = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce(), returnTo: opts.returnTo };
    ctx.cookies.set(PENDING_COOKIE, Buffer.from(JSON.stringify(pending)).toString('base64url'), {
      httpOnly: true,
      sameSite: 'lax',
      signed: true,
      secure: ctx.secure,
      path: COOKIE_PATH,
      maxAge: PENDING_SECONDS * 1000,
    });
    return oidc.buildAuthorizationUrl(rp, {
      redirect_uri: callbackUri(this.config),
      scope: 'openid',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      acr_values: this.config.adminAcr,
      max_age: String(MAX_AUTH_AGE_SECONDS),
      ui_locales: opts.locale,
      ...(opts.forceLogin ? { prompt: 'login' } : {}),
    });
  }

  /** Redeems the code and checks the level; the role is the caller's to check. */
  async complete(ctx: Context): Promise<LoginOutcome> {
    const raw = ctx.cookies.get(PENDING_COOKIE, { signed: true });
    ctx.cookies.set(PENDING_COOKIE, null, { path: COOKIE_PATH, signed: true, httpOnly: true, sameSite: 'lax', secure: ctx.secure });
    if (!raw) return { ok: false, reason: 'not_started' };
    let pending: PendingLogin;
    try {
      pending = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as PendingLogin;
    } catch {
      return { ok: false, reason: 'not_started' };
    }
    const current = new URL(ctx.originalUrl, this.config.issuer);
    if (current.searchParams.has('error')) return { ok: false, reason: 'provider_error', detail: current.searchParams.get('error') ?? undefined };
    let claims: oidc.IDToken;
    try {
      const tokens = await oidc.authorizationCodeGrant(await this.rp(), current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        maxAge: MAX_AUTH_AGE_SECONDS,
      });
      claims = tokens.claims()!;
    } catch (err) {
      return { ok: false, reason: 'provider_error', detail: err instanceof Error ? err.message : 'code not redeemed' };
    }
    const acr = typeof claims.acr === 'string' ? claims.acr : '';
    const armValues = Array.isArray(claims.arm_values) ? (claims.arm_values as unknown[]) : [];
    if (acr !== this.config.adminAcr && !armValues.includes(this.config.adminAcr)) return { ok: false, reason: 'level', detail: acr };
    return { ok: true, accountId: claims.sub, acr, returnTo: safeReturnPath(pending.returnTo) };
  }

  /** Where to end the provider session after leaving the console. */
  async endSessionUrl(): Promise<URL> {
    return oidc.buildEndSessionUrl(await this.rp(), { client_id: ADMIN_CLIENT_ID, post_logout_redirect_uri: loggedOutUri(this.config) });
  }
}
