/**
 * A relying party as a real one would be written: openid-client, authorization code with PKCE.
 * Together with `Browser` it drives a whole login against the running server and the simulator.
 */
import * as oidc from 'openid-client';

import { registerClient, type NewClient } from '../../src/oidc/clients.js';
import type { RunningServer } from '../../src/server.js';
import { Browser, formAction, hiddenInput } from './browser.js';

export const REDIRECT_URI = 'https://rp.example.ch/callback';

export interface Rp {
  clientId: string;
  /** The secret of a confidential client (undefined for a public one). */
  clientSecret: string | undefined;
  config: oidc.Configuration;
  /** Begin a login: returns the browser's position (login page, or already back at the RP). */
  begin(browser: Browser, params?: Record<string, string>): Promise<Attempt>;
}

export interface Attempt {
  verifier: string;
  state: string;
  /** Where the browser is on the provider (login page, waiting page, error page). */
  url: URL;
  status: number;
  html: string;
  /** The RP callback URL once the provider sent the browser back. */
  callback?: URL;
}

export async function createRp(server: RunningServer, metadata: Partial<NewClient> = {}): Promise<Rp> {
  const reg = await registerClient(server.provider, server.db, {
    client_name: 'Example Service',
    redirect_uris: [REDIRECT_URI],
    ...metadata,
  });
  const auth = reg.client_secret ? oidc.ClientSecretBasic(reg.client_secret) : oidc.None();
  const config = await oidc.discovery(new URL(server.url), reg.client_id, undefined, auth, { execute: [oidc.allowInsecureRequests] });
  return {
    clientId: reg.client_id,
    clientSecret: reg.client_secret,
    config,
    async begin(browser, params = {}) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid phone',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        ...params,
      });
      const r = await browser.follow(url, server.url);
      return { verifier, state, url: r.url, status: r.res.status, html: r.left ? '' : await r.res.text(), ...(r.left ? { callback: r.left } : {}) };
    },
  };
}

/** Submit the phone number on the login page. */
export async function submitPhone(server: RunningServer, browser: Browser, attempt: Attempt, phone: string): Promise<Attempt> {
  const action = new URL(formAction(attempt.html, '/login'), attempt.url);
  const r = await browser.follow(action, server.url, { form: { csrf: hiddenInput(attempt.html, 'csrf'), phone } });
  return { ...attempt, url: r.url, status: r.res.status, html: r.left ? '' : await r.res.text(), ...(r.left ? { callback: r.left } : {}) };
}

/** Reload the waiting page until the login is no longer pending (or give up). */
export async function waitForResult(server: RunningServer, browser: Browser, attempt: Attempt, timeoutMs = 15_000): Promise<Attempt> {
  const started = Date.now();
  let current = attempt;
  while (!current.callback && current.html.includes('id="mobileid-status"') && Date.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, 250));
    const r = await browser.follow(current.url, server.url);
    current = { ...current, url: r.url, status: r.res.status, html: r.left ? '' : await r.res.text(), ...(r.left ? { callback: r.left } : {}) };
  }
  return current;
}

/** Exchange the code as the RP does. */
export async function redeem(rp: Rp, attempt: Attempt) {
  if (!attempt.callback) throw new Error(`no callback; the browser is at ${attempt.url.pathname} (HTTP ${attempt.status})`);
  return oidc.authorizationCodeGrant(rp.config, attempt.callback, { pkceCodeVerifier: attempt.verifier, expectedState: attempt.state });
}

/** The simulator's virtual phone (JSON API). */
export function phone(server: RunningServer) {
  const base = `${server.sandbox!.mobileIdUrl}/phone/api`;
  const post = async (path: string, body: Record<string, unknown>) => {
    const res = await fetch(`${base}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`phone ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };
  return {
    approve: (msisdn: string, extra: Record<string, unknown> = {}) => post('approve', { msisdn, ...extra }),
    cancel: (msisdn: string) => post('cancel', { msisdn }),
    reactivate: (msisdn: string) => post('reactivate', { msisdn }),
    pending: async (msisdn: string) => (await fetch(`${base}/pending?msisdn=${msisdn}`)).json() as Promise<unknown[]>,
  };
}
