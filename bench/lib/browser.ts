/**
 * Virtual browsers for the login benchmark: a cookie jar for one origin on top of undici's
 * `request` (lighter than fetch, so the load generator costs less), redirects followed by hand
 * while they stay on the origin, and the steps of an authorization code login with PKCE as a
 * relying party and a person's browser take them (see test/helpers/{browser,rp}.ts).
 */
import crypto from 'node:crypto';

import { Agent, request, type Dispatcher } from 'undici';

import { basicAuthorization } from './harness.js';

export interface Page {
  status: number;
  url: URL;
  /** The Location header of a redirect, resolved against `url`. */
  location: URL | undefined;
  body: string;
}

/** A connection pool for many browsers: `connections` sockets per origin at most (undefined: no limit). */
export function httpAgent(connections?: number): Agent {
  return new Agent({
    ...(connections !== undefined ? { connections } : {}),
    keepAliveTimeout: 60_000,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
}

export class HttpError extends Error {
  constructor(
    readonly step: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${step}: HTTP ${status}${detail ? ` ${detail}` : ''}`);
    this.name = 'HttpError';
  }
}

/** One person's browser on one origin: keeps its cookies, sends them back (path is ignored). */
export class VirtualBrowser {
  private readonly cookies = new Map<string, string>();

  /**
   * @param address the browser's own IP address, sent in X-Forwarded-For as a load balancer in
   *   front of the server would (the server must run with TRUST_PROXY=true)
   */
  constructor(
    private readonly dispatcher: Dispatcher,
    readonly origin: string,
    readonly address?: string,
  ) {}

  async request(input: string | URL, init: { method?: 'GET' | 'POST'; form?: Record<string, string> } = {}): Promise<Page> {
    const url = new URL(input, this.origin);
    const headers: Record<string, string> = { accept: 'text/html,application/json', 'accept-language': 'en' };
    if (this.address) headers['x-forwarded-for'] = this.address;
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await request(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      ...(body !== undefined ? { body } : {}),
      dispatcher: this.dispatcher,
    });
    this.store(res.headers['set-cookie']);
    const text = await res.body.text();
    const location = res.headers.location;
    return {
      status: res.statusCode,
      url,
      location: typeof location === 'string' ? new URL(location, url) : undefined,
      body: text,
    };
  }

  /**
   * Follow redirects while they stay on the origin. Returns the last page on the origin, and the
   * first URL that leaves it (the relying party's redirect_uri) as `left`.
   */
  async follow(input: string | URL, init: { form?: Record<string, string> } = {}): Promise<{ page: Page; left?: URL }> {
    let page = await this.request(input, init);
    for (let i = 0; i < 20; i++) {
      if (page.status < 300 || page.status >= 400 || !page.location) return { page };
      if (page.location.origin !== this.origin) return { page, left: page.location };
      page = await this.request(page.location);
    }
    throw new Error('too many redirects');
  }

  private store(raw: string | string[] | undefined): void {
    if (!raw) return;
    for (const line of Array.isArray(raw) ? raw : [raw]) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** A confidential client of the server under test. */
export interface RelyingParty {
  origin: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

export async function discoverRelyingParty(
  dispatcher: Dispatcher,
  origin: string,
  client: { clientId: string; clientSecret: string; redirectUri: string },
): Promise<RelyingParty> {
  const res = await request(`${origin}/.well-known/openid-configuration`, { dispatcher });
  const doc = (await res.body.json()) as { authorization_endpoint?: string; token_endpoint?: string };
  if (res.statusCode !== 200 || !doc.authorization_endpoint || !doc.token_endpoint) throw new Error(`discovery: HTTP ${res.statusCode}`);
  return { origin, ...client, authorizationEndpoint: doc.authorization_endpoint, tokenEndpoint: doc.token_endpoint };
}

function hiddenInput(html: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
}

function formAction(html: string, suffix: string): string | undefined {
  return new RegExp(`action="([^"]*${suffix})"`).exec(html)?.[1];
}

const snippet = (body: string) => body.replace(/\s+/g, ' ').slice(0, 160);

export interface LoginPage {
  verifier: string;
  state: string;
  /** Where the phone number is posted, and the CSRF token that goes with it. */
  action: URL;
  csrf: string;
}

/** The relying party sends the browser to /auth (PKCE S256, state); the browser lands on the login page. */
export async function beginLogin(browser: VirtualBrowser, rp: RelyingParty, scope = 'openid'): Promise<LoginPage> {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const state = crypto.randomBytes(16).toString('base64url');
  const url = new URL(rp.authorizationEndpoint);
  url.search = new URLSearchParams({
    client_id: rp.clientId,
    redirect_uri: rp.redirectUri,
    response_type: 'code',
    scope,
    state,
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const { page, left } = await browser.follow(url);
  if (left) throw new Error(`authorization request: sent back to the client at once (${left.search.slice(0, 80)})`);
  if (page.status !== 200) throw new HttpError('login page', page.status, snippet(page.body));
  const action = formAction(page.body, '/login');
  const csrf = hiddenInput(page.body, 'csrf');
  if (!action || !csrf) throw new Error('login page: no phone form');
  return { verifier, state, action: new URL(action, page.url), csrf };
}

export type PhoneResult =
  | { kind: 'started'; waitingUrl: URL }
  /** The login page again, with an error (409: a request to this number is already pending; 429: rate limit). */
  | { kind: 'refused'; status: number };

/** Submit the phone number (the server pushes the request to Mobile ID and answers 303 to the waiting page). */
export async function submitPhone(browser: VirtualBrowser, login: LoginPage, phone: string): Promise<PhoneResult> {
  const page = await browser.request(login.action, { form: { csrf: login.csrf, phone } });
  if (page.status === 303 && page.location) return { kind: 'started', waitingUrl: page.location };
  if (page.status === 409 || page.status === 429) return { kind: 'refused', status: page.status };
  throw new HttpError('phone number', page.status, snippet(page.body));
}

/** The waiting page's status endpoint (`data-status-url`), for the browser's polling. */
export function statusUrlOf(page: Page): URL | undefined {
  const path = /data-status-url="([^"]+)"/.exec(page.body)?.[1];
  return path ? new URL(path, page.url) : undefined;
}

/**
 * From the waiting page on: follow the redirects (the server checks the state with Mobile ID,
 * verifies the CMS signature, finishes the interaction) back to the relying party. A waiting page
 * (still pending) is reloaded after `retryMs`, as the page does without JavaScript.
 */
export async function waitForCallback(browser: VirtualBrowser, waitingUrl: URL, opts: { retryMs: number; timeoutMs: number }): Promise<{ callback: URL; reloads: number }> {
  const until = performance.now() + opts.timeoutMs;
  let reloads = 0;
  for (;;) {
    const { page, left } = await browser.follow(waitingUrl);
    if (left) return { callback: left, reloads };
    if (page.status !== 200 || !statusUrlOf(page)) throw new HttpError('waiting page', page.status, snippet(page.body));
    if (performance.now() > until) throw new Error('waiting page: still pending at the time limit');
    reloads++;
    await new Promise((resolve) => setTimeout(resolve, opts.retryMs));
  }
}

/** The relying party redeems the code (client_secret_basic, PKCE verifier) and checks it got an id_token. */
export async function redeemCode(dispatcher: Dispatcher, rp: RelyingParty, login: LoginPage, callback: URL): Promise<{ idToken: string }> {
  const error = callback.searchParams.get('error');
  if (error) throw new Error(`callback: error=${error} ${callback.searchParams.get('error_description') ?? ''}`.trim());
  const code = callback.searchParams.get('code');
  if (!code) throw new Error('callback: no code');
  if (callback.searchParams.get('state') !== login.state) throw new Error('callback: state does not match');
  const res = await request(rp.tokenEndpoint, {
    method: 'POST',
    headers: { authorization: basicAuthorization(rp.clientId, rp.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: rp.redirectUri, code_verifier: login.verifier }).toString(),
    dispatcher,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new HttpError('token', res.statusCode, snippet(text));
  const idToken = (JSON.parse(text) as { id_token?: unknown }).id_token;
  if (typeof idToken !== 'string' || idToken.split('.').length !== 3) throw new Error('token: no id_token in the response');
  return { idToken };
}
