/**
 * What the OpenID certification's Basic OP plan checks once a login works, driven as a relying
 * party would: openid-client + a browser → /auth → Mobile ID (simulator) → code → tokens, then
 * code reuse, prompt and max_age handling, userinfo, refresh, introspection, revocation, logout
 * and JWT access tokens for a resource server.
 */
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server.js';
import { Browser, formAction, hiddenInput } from '../helpers/browser.js';
import { createRp, phone, redeem, submitPhone, waitForResult, type Attempt, type Rp } from '../helpers/rp.js';
import { startSandboxServer } from '../helpers/server.js';

const INSTANT = '41700092501';
const API = 'https://api.example.ch';
const LOGGED_OUT_URI = 'https://rp.example.ch/logged-out';

let server: RunningServer;
let cleanup: () => Promise<void>;
let rp: Rp;

beforeAll(async () => {
  ({ server, cleanup } = await startSandboxServer({ env: { MOBILEID_POLL_INTERVAL_MS: '500', MOBILEID_RATE_LIMIT_PER_IP: '1000/600', MOBILEID_RATE_LIMIT_PER_NUMBER: '1000/600', RESOURCE_SERVERS: `${API}=read` } }));
  rp = await createRp(server, { post_logout_redirect_uris: [LOGGED_OUT_URI] });
});
afterAll(async () => {
  await server.close();
  await cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A whole login with the instant-success number; returns the attempt back at the RP. */
async function logIn(browser: Browser, params: Record<string, string> = {}): Promise<Attempt> {
  const start = await rp.begin(browser, params);
  expect(start.html).toContain('id="phone"');
  const done = await waitForResult(server, browser, await submitPhone(server, browser, start, INSTANT));
  expect(done.callback?.searchParams.get('code')).toBeTruthy();
  return done;
}

function endpoint(name: 'userinfo_endpoint' | 'introspection_endpoint'): string {
  return rp.config.serverMetadata()[name]!;
}

async function userinfoStatus(accessToken: string): Promise<number> {
  const res = await fetch(endpoint('userinfo_endpoint'), { headers: { authorization: `Bearer ${accessToken}` } });
  await res.arrayBuffer();
  return res.status;
}

describe('authorization code', () => {
  it('refuses a second redemption of a code and revokes the tokens of the first', async () => {
    const done = await logIn(new Browser({ 'accept-language': 'en' }));
    const tokens = await redeem(rp, done);
    expect(await userinfoStatus(tokens.access_token)).toBe(200);

    await expect(redeem(rp, done)).rejects.toMatchObject({ error: 'invalid_grant' });

    expect(await userinfoStatus(tokens.access_token)).toBe(401);
    expect(await oidc.tokenIntrospection(rp.config, tokens.access_token)).toMatchObject({ active: false });
  });

  it('sends no code when the session, grant and code cannot be saved, and the same step works once the database does', async () => {
    const saved = async () =>
      Number(((await server.db('oidc_payloads').whereIn('model', ['Session', 'Grant', 'AuthorizationCode']).count({ n: '*' })) as { n: string | number }[])[0]!.n);
    const before = await saved();
    // The database refuses authorization codes, as it would refuse any write while it restarts.
    await server.db.raw(`alter table oidc_payloads add constraint refuse_codes check (model <> 'AuthorizationCode') not valid`);
    const browser = new Browser({ 'accept-language': 'en' });
    let failed: Attempt;
    try {
      failed = await waitForResult(server, browser, await submitPhone(server, browser, await rp.begin(browser), INSTANT));
      expect(failed.callback).toBeUndefined();
      expect(failed.status).toBe(500);
      expect(failed.url.pathname).toMatch(/^\/auth\//);
      expect(failed.html).toContain('An unexpected error occurred');
      expect(await saved()).toBe(before);
    } finally {
      await server.db.raw('alter table oidc_payloads drop constraint refuse_codes');
    }
    // Nothing of the login was lost: the browser kept its cookies and the interaction its result.
    const retried = await browser.follow(failed.url, server.url);
    expect(retried.left?.searchParams.get('code')).toBeTruthy();
    const tokens = await redeem(rp, { ...failed, callback: retried.left! });
    expect(tokens.claims()!.acr).toBe('urn:servicecore:qoa:mobileid-sim');
  });

  it('gives one code when the same login is resumed several times at once, and the "already completed" page to the others', async () => {
    const msisdn = '41791110077';
    const browser = new Browser({ 'accept-language': 'en' });
    const waiting = await submitPhone(server, browser, await rp.begin(browser), msisdn);
    await phone(server).approve(msisdn);
    let finished = await browser.request(waiting.url);
    for (let i = 0; finished.status === 200 && i < 40; i++) {
      await sleep(250);
      finished = await browser.request(waiting.url);
    }
    expect(finished.status).toBe(303);
    const resume = new URL(finished.headers.get('location')!, server.url);
    expect(resume.pathname).toMatch(/^\/auth\/[\w-]+$/);
    const codesBefore = await server.db('oidc_payloads').where({ model: 'AuthorizationCode' }).count({ n: '*' });

    // Tabs (or double clicks) resume the same login at the same moment.
    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map(() => browser.request(resume)));
    const sentOn = answers.filter((res) => res.status === 303 && new URL(res.headers.get('location')!).searchParams.has('code'));
    expect(sentOn).toHaveLength(1);
    for (const other of answers.filter((res) => res !== sentOn[0])) {
      expect(other.status).toBe(400);
      expect(other.headers.get('location')).toBeNull();
      expect(await other.text()).toContain('This login has expired or was already completed');
    }
    const codesAfter = await server.db('oidc_payloads').where({ model: 'AuthorizationCode' }).count({ n: '*' });
    expect(Number(codesAfter[0]!.n) - Number(codesBefore[0]!.n)).toBe(1);

    // The code that was sent works.
    const callback = new URL(sentOn[0]!.headers.get('location')!);
    const tokens = await redeem(rp, { ...waiting, callback });
    expect(tokens.claims()!.acr).toBe('urn:servicecore:qoa:mobileid-sim');
  });

  it('ignores authorization parameters it does not know', async () => {
    const done = await logIn(new Browser(), { unknown_param: 'some value', 'x-vendor-extension': '1' });
    const tokens = await redeem(rp, done);
    expect(tokens.claims()!.aud).toBe(rp.clientId);
  });
});

describe('prompt and max_age', () => {
  it('prompt=none without a session returns login_required to the RP', async () => {
    const attempt = await rp.begin(new Browser(), { prompt: 'none' });
    expect(attempt.callback).toBeDefined();
    const callback = attempt.callback!;
    expect(`${callback.origin}${callback.pathname}`).toBe('https://rp.example.ch/callback');
    expect(callback.searchParams.get('error')).toBe('login_required');
    expect(callback.searchParams.get('iss')).toBe(server.url);
    expect(callback.searchParams.get('state')).toBe(attempt.state);
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('with a session: prompt=none passes silently, prompt=login and an elapsed max_age ask again', async () => {
    const browser = new Browser({ 'accept-language': 'en' });
    const first = (await redeem(rp, await logIn(browser))).claims()!;

    // prompt=none: straight back to the RP with a code for the same person.
    const silent = await rp.begin(browser, { prompt: 'none' });
    expect(silent.html).toBe('');
    expect(silent.callback?.searchParams.get('error')).toBeNull();
    const silentClaims = (await redeem(rp, silent)).claims()!;
    expect(silentClaims.sub).toBe(first.sub);
    expect(silentClaims.auth_time).toBe(first.auth_time);

    // prompt=login: the login page again, although the session is valid.
    const forced = await rp.begin(browser, { prompt: 'login' });
    expect(forced.callback).toBeUndefined();
    expect(forced.html).toContain('Log in with Mobile ID');

    // max_age=1 once more than a second has passed since the login: the login page again.
    await sleep(2100);
    const done = await logIn(browser, { max_age: '1' });
    const second = (await redeem(rp, done)).claims()!;
    expect(second.sub).toBe(first.sub);
    expect(second.auth_time!).toBeGreaterThan(first.auth_time!);
  });
});

describe('userinfo', () => {
  it('answers GET with a bearer header and POST with a form body or a bearer header', async () => {
    const tokens = await redeem(rp, await logIn(new Browser()));
    const { sub } = tokens.claims()!;
    const url = endpoint('userinfo_endpoint');
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    const responses = [
      await fetch(url, { headers: bearer }),
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ access_token: tokens.access_token }),
      }),
      await fetch(url, { method: 'POST', headers: bearer }),
    ];
    for (const res of responses) {
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ sub, phone_number: `+${INSTANT}`, phone_number_verified: true });
    }

    const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, sub);
    expect(userinfo.sub).toBe(sub);

    const withoutToken = await fetch(url);
    expect(withoutToken.status).toBe(401);
    expect(withoutToken.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});

describe('refresh tokens', () => {
  it('offline_access with prompt=consent: refresh works, rotates, and keeps acr and amr', async () => {
    const done = await logIn(new Browser(), { scope: 'openid phone offline_access', prompt: 'consent' });
    const tokens = await redeem(rp, done);
    expect(tokens.refresh_token).toBeTruthy();
    const original = tokens.claims()!;

    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    const claims = refreshed.claims()!;
    expect(claims.sub).toBe(original.sub);
    expect(claims.acr).toBe('urn:servicecore:qoa:mobileid-sim');
    expect(claims.amr).toEqual(['hwk', 'pin', 'mfa']);
    expect(claims.auth_time).toBe(original.auth_time);
    expect((await oidc.fetchUserInfo(rp.config, refreshed.access_token, original.sub)).phone_number).toBe(`+${INSTANT}`);
    expect(await oidc.tokenIntrospection(rp.config, refreshed.access_token)).toMatchObject({ active: true, acr: original.acr, auth_time: original.auth_time });

    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('prompt=consent with a session asks the person once, then returns to the RP', async () => {
    const browser = new Browser();
    const first = (await redeem(rp, await logIn(browser))).claims()!;
    const done = await logIn(browser, { scope: 'openid phone offline_access', prompt: 'consent' });
    const tokens = await redeem(rp, done);
    expect(tokens.claims()!.sub).toBe(first.sub);
    expect(tokens.refresh_token).toBeTruthy();
  });

  it('the same refresh token redeemed twice at once: one request gets tokens, the other invalid_grant, and the grant is revoked', async () => {
    const tokens = await redeem(rp, await logIn(new Browser(), { scope: 'openid phone offline_access', prompt: 'consent' }));
    const results = await Promise.allSettled([oidc.refreshTokenGrant(rp.config, tokens.refresh_token!), oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ error: 'invalid_grant' });
    // Reuse of a refresh token revokes what the grant issued, the winner's new tokens included.
    const winner = (won[0] as PromiseFulfilledResult<oidc.TokenEndpointResponse>).value;
    expect(await userinfoStatus(winner.access_token)).toBe(401);
    await expect(oidc.refreshTokenGrant(rp.config, winner.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a refused refresh request changes nothing: the refresh token it carried still works', async () => {
    const tokens = await redeem(rp, await logIn(new Browser(), { scope: 'openid phone offline_access', prompt: 'consent' }));
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!, { resource: 'https://unknown.example.ch' })).rejects.toMatchObject({
      error: 'invalid_target',
    });
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(await userinfoStatus(refreshed.access_token)).toBe(200);
  });

  it('without offline_access no refresh token is issued', async () => {
    const tokens = await redeem(rp, await logIn(new Browser()));
    expect(tokens.refresh_token).toBeUndefined();
  });
});

describe('introspection and revocation', () => {
  it('shows an access token as active with acr and auth_time until it is revoked', async () => {
    const tokens = await redeem(rp, await logIn(new Browser()));
    const claims = tokens.claims()!;
    const active = await oidc.tokenIntrospection(rp.config, tokens.access_token);
    expect(active).toMatchObject({
      active: true,
      client_id: rp.clientId,
      sub: claims.sub,
      acr: 'urn:servicecore:qoa:mobileid-sim',
      auth_time: claims.auth_time,
      token_type: 'Bearer',
    });
    expect(active.scope?.split(' ')).toEqual(expect.arrayContaining(['openid', 'phone']));

    // Without client authentication the endpoint answers nothing.
    const anonymous = await fetch(endpoint('introspection_endpoint'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.access_token }),
    });
    expect(anonymous.status).toBe(400);
    expect(await anonymous.json()).toMatchObject({ error: 'invalid_request' });
    expect(anonymous.headers.get('content-type')).toMatch(/json/);

    await oidc.tokenRevocation(rp.config, tokens.access_token);
    expect(await oidc.tokenIntrospection(rp.config, tokens.access_token)).toEqual({ active: false });
    expect(await userinfoStatus(tokens.access_token)).toBe(401);
  });
});

describe('RP-initiated logout', () => {
  it('asks in the browser language, logs out, returns to the RP, and ends the session', async () => {
    const browser = new Browser({ 'accept-language': 'de' });
    const tokens = await redeem(rp, await logIn(browser));
    const state = oidc.randomState();
    const endSession = oidc.buildEndSessionUrl(rp.config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: LOGGED_OUT_URI,
      state,
    });

    const confirm = await browser.follow(endSession, server.url);
    expect(confirm.res.status).toBe(200);
    const html = await confirm.res.text();
    expect(html).toContain('<html lang="de"');
    expect(html).toContain('Abmelden?');
    expect(html).toContain('Example Service bittet Sie, sich abzumelden');
    expect(html).toContain('Ja, abmelden');

    const action = new URL(formAction(html, '/session/end/confirm'), confirm.url);
    const out = await browser.follow(action, server.url, { form: { xsrf: hiddenInput(html, 'xsrf'), logout: 'yes' } });
    expect(out.left).toBeDefined();
    expect(`${out.left!.origin}${out.left!.pathname}`).toBe(LOGGED_OUT_URI);
    expect(out.left!.searchParams.get('state')).toBe(state);

    const silent = await rp.begin(browser, { prompt: 'none' });
    expect(silent.callback?.searchParams.get('error')).toBe('login_required');
  });
});

describe('JWT access tokens for a resource server', () => {
  it('issues an at+jwt for the API, verifiable with the JWKS, with acr and auth_time', async () => {
    const done = await logIn(new Browser(), { scope: 'openid read', resource: API });
    const tokens = await oidc.authorizationCodeGrant(rp.config, done.callback!, { pkceCodeVerifier: done.verifier, expectedState: done.state }, { resource: API });
    const idClaims = tokens.claims()!;

    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    const jwks = createRemoteJWKSet(new URL(rp.config.serverMetadata().jwks_uri!));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.url, audience: API, typ: 'at+jwt' });
    expect(payload).toMatchObject({
      sub: idClaims.sub,
      client_id: rp.clientId,
      scope: 'read',
      acr: 'urn:servicecore:qoa:mobileid-sim',
      auth_time: idClaims.auth_time,
    });
    expect(decodeJwt(tokens.id_token!).aud).toBe(rp.clientId);

    // A token for the API is not a token for userinfo.
    expect(await userinfoStatus(tokens.access_token)).toBe(401);
  });
});
