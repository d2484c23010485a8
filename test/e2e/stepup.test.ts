/**
 * A relying party asks for a Quality of Registration; the user logs in with Mobile ID, is stepped
 * up through a verification method, and the id_token says what was proven. The methods here are
 * registered by the test suite only (the real ones live in src/verification/*).
 */
import fs from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Db } from '../../src/db/index.js';
import type { RunningServer } from '../../src/server.js';
import type { VerificationMethod } from '../../src/verification/index.js';
import { Browser, formAction, hiddenInput } from '../helpers/browser.js';
import { migratedDb } from '../helpers/db.js';
import { createRp, phone, redeem, submitPhone, waitForResult, type Attempt, type Rp } from '../helpers/rp.js';
import { freePort, startTestServer } from '../helpers/server.js';
import { instantOnlineMethod, policyDirWith } from '../helpers/stepup.js';

const QOR_100 = 'urn:servicecore:qor:100';
const QOR_300 = 'urn:servicecore:qor:300';
const QOR_400 = 'urn:servicecore:qor:400';
const SIM = 'urn:servicecore:qoa:mobileid-sim';
const FRESH = 'urn:test:lot:fresh';

let server: RunningServer;
let db: Db;
let cleanup: () => Promise<void>;
let rp: Rp;
let policyDir: string;


/** A method that needs a visit (stands in for the counter). */
const counterMethod: VerificationMethod = {
  id: 'test-counter',
  nameKey: 'test.method.counter',
  async start() {
    return { later: { messageKey: 'stepup.later_come_back' } };
  },
};

beforeAll(async () => {
  policyDir = policyDirWith('scl-stepup-', (policy) => {
    policy.levelsOfTrust.push({
      systemName: FRESH,
      nameKey: 'lot.substantial',
      qoa: 'urn:servicecore:qoa:mobileid-app',
      qorStrength: 'urn:servicecore:qor-strength:low',
      checks: { maxAuthenticationAgeSeconds: 1 },
    });
    policy.verification.methods['test-online'] = 'auto';
    policy.verification.methods['test-counter'] = 'manual';
  });
  const t = await migratedDb();
  db = t.db;
  cleanup = t.cleanup;
  server = await startTestServer({
    db,
    env: { SANDBOX: 'true', SIMULATOR_PORT: String(await freePort()), POLICY_DIR: policyDir, MOBILEID_POLL_INTERVAL_MS: '500' },
    verificationMethods: [instantOnlineMethod(() => db, { given_name: 'Anna', family_name: 'Muster' }), counterMethod],
  });
  rp = await createRp(server);
});
afterAll(async () => {
  await server.close();
  await cleanup();
  fs.rmSync(policyDir, { recursive: true, force: true });
});

/** Log in with a number that waits for the virtual phone, and approve it. */
async function mobileIdLogin(browser: Browser, msisdn: string, params: Record<string, string>, which = rp): Promise<Attempt> {
  const waiting = await submitPhone(server, browser, await which.begin(browser, params), `+${msisdn}`);
  await phone(server).approve(msisdn);
  return waitForResult(server, browser, waiting);
}

async function choose(browser: Browser, page: Attempt, method: string): Promise<Attempt> {
  const action = new URL(formAction(page.html, '/start'), page.url);
  const r = await browser.follow(action, server.url, { form: { csrf: hiddenInput(page.html, 'csrf'), method } });
  return { ...page, url: r.url, status: r.res.status, html: r.left ? '' : await r.res.text(), ...(r.left ? { callback: r.left } : {}) };
}

async function giveUp(browser: Browser, page: Attempt): Promise<Attempt> {
  const action = new URL(formAction(page.html, '/continue'), page.url);
  const r = await browser.follow(action, server.url, { form: { csrf: hiddenInput(page.html, 'csrf') } });
  return { ...page, url: r.url, status: r.res.status, html: r.left ? '' : await r.res.text(), ...(r.left ? { callback: r.left } : {}) };
}

describe('step-up to a Quality of Registration', () => {
  it('offers the choice, verifies, and issues acr, fulfilled_qors and arm_values', async () => {
    const browser = new Browser({ 'accept-language': 'en' });
    const stepUp = await mobileIdLogin(browser, '41791240001', { acr_values: QOR_300 });
    expect(stepUp.callback).toBeUndefined();
    expect(stepUp.html).toContain('Your identity needs to be verified');
    expect(stepUp.html).toContain('Example Service needs to be sure who you are');
    expect(stepUp.html).toContain('Logged in with Mobile ID');
    expect(stepUp.html).toContain('Choose one:');
    expect(stepUp.html).toContain('value="test-online"');
    expect(stepUp.html).toContain('value="test-counter"');

    const done = await choose(browser, stepUp, 'test-online');
    const tokens = await redeem(rp, done);
    const claims = tokens.claims()!;
    expect(claims.acr).toBe(QOR_300);
    expect(claims.fulfilled_qors).toEqual([QOR_100, QOR_300]);
    expect(claims.arm_values).toEqual([QOR_300]);
    expect(claims.amr).toEqual(['hwk', 'pin', 'mfa']);
  });

  it('lets the user straight through when coming back later', async () => {
    const browser = new Browser();
    const done = await mobileIdLogin(browser, '41791240001', { acr_values: `${QOR_400} ${QOR_300}` });
    expect(done.callback, 'no step-up page').toBeDefined();
    const claims = (await redeem(rp, done)).claims()!;
    expect(claims.acr).toBe(QOR_300);
    expect(claims.arm_values).toEqual([QOR_300]);
  });

  it('answers an essential request that is not met with unmet_authentication_requirements', async () => {
    const browser = new Browser();
    const claimsParam = JSON.stringify({ id_token: { acr: { essential: true, values: [QOR_300] } } });
    const stepUp = await mobileIdLogin(browser, '41791240002', { claims: claimsParam });
    expect(stepUp.html).toContain('Not now: return to the service');
    const back = await giveUp(browser, stepUp);
    expect(back.callback?.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(back.callback?.searchParams.get('iss')).toBe(server.url);
  });

  it('lets a voluntary request continue at the lower level', async () => {
    const browser = new Browser();
    const stepUp = await mobileIdLogin(browser, '41791240003', { acr_values: QOR_300 });
    expect(stepUp.html).toContain('Continue without verifying');
    const back = await giveUp(browser, stepUp);
    const claims = (await redeem(rp, back)).claims()!;
    expect(claims.acr).toBe(SIM);
    expect(claims.fulfilled_qors).toEqual([QOR_100]);
    expect(claims.arm_values).toEqual([]);
  });

  it('ends a counter visit with a "come back after" page', async () => {
    const browser = new Browser();
    const claimsParam = JSON.stringify({ id_token: { acr: { essential: true, values: [QOR_300] } } });
    const stepUp = await mobileIdLogin(browser, '41791240004', { claims: claimsParam });
    const later = await choose(browser, stepUp, 'test-counter');
    expect(later.html).toContain('Almost there');
    expect(later.html).toContain('you will go straight through');
    const back = await giveUp(browser, later);
    expect(back.callback?.searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('shows why a method sent the user back, and only messages of the verification methods', async () => {
    const browser = new Browser({ 'accept-language': 'de' });
    const stepUp = await mobileIdLogin(browser, '41791240007', { acr_values: QOR_300 });
    const page = async (query: string) => (await browser.request(`${stepUp.url.origin}${stepUp.url.pathname}?${query}`)).text();
    const failed = await page('notice=verification.method.freja-eid');
    expect(failed).toMatch(/<p class="error" role="alert">Freja eID<\/p>/);
    const info = await page('notice=verification.method.freja-eid&kind=info');
    expect(info).toMatch(/<p class="notice" role="status">Freja eID<\/p>/);
    for (const query of ['notice=error.csrf', 'notice=verification.unknown', 'notice=%3Cscript%3E']) {
      const html = await page(query);
      expect(html).toContain('Ihre Identität muss bestätigt werden');
      expect(html).not.toMatch(/role="(alert|status)"/);
    }
  });

  it('enforces the client minimum whatever the URL asks for', async () => {
    const strict = await createRp(server, { client_name: 'Strict Service', minimum_acr: QOR_300 });
    const browser = new Browser();
    const stepUp = await mobileIdLogin(browser, '41791240005', { acr_values: QOR_100 }, strict);
    expect(stepUp.html).toContain('Strict Service needs to be sure who you are');
    const back = await giveUp(browser, stepUp);
    expect(back.callback?.searchParams.get('error')).toBe('unmet_authentication_requirements');

    const verified = new Browser();
    const ok = await mobileIdLogin(verified, '41791240001', {}, strict);
    const claims = (await redeem(strict, ok)).claims()!;
    expect(claims.acr).toBe(QOR_300);
    expect(claims.arm_values).toEqual([QOR_300]);
  });

  it('refuses to register a client whose minimum is not a supported value', async () => {
    await expect(createRp(server, { minimum_acr: 'urn:unknown' })).rejects.toMatchObject({ error_description: expect.stringMatching(/minimum_acr/) });
  });

  it('evaluates the tokens of each grant for the login behind it, not for the latest login of the number', async () => {
    const MSISDN = '41791240009';
    const userinfo = async (token: string) => (await (await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
    const owner = new Browser();
    const verified = await choose(owner, await mobileIdLogin(owner, MSISDN, { acr_values: QOR_300, scope: 'openid profile' }), 'test-online');
    const ownerTokens = await redeem(rp, verified);
    expect((await userinfo(ownerTokens.access_token)).given_name).toBe('Anna');

    // The number is re-activated (a new serial, e.g. a swapped SIM) and logs in elsewhere.
    await phone(server).reactivate(MSISDN);
    const other = new Browser();
    const notice = await mobileIdLogin(other, MSISDN, { scope: 'openid profile' });
    const next = new URL(/class="button" href="([^"]+)"/.exec(notice.html)![1]!.replace(/&amp;/g, '&'), server.url);
    const r = await other.follow(next, server.url);
    const otherTokens = await redeem(rp, { ...notice, url: r.url, status: r.res.status, html: '', callback: r.left! });
    const otherInfo = await userinfo(otherTokens.access_token);
    expect(otherInfo.fulfilled_qors).toEqual([QOR_100]);
    expect(otherInfo.given_name).toBeUndefined();

    // The first grant's tokens still speak for the first login; the new login gains nothing.
    const ownerInfo = await userinfo(ownerTokens.access_token);
    expect(ownerInfo.given_name).toBe('Anna');
    expect(ownerInfo.fulfilled_qors).toEqual([QOR_100, QOR_300]);
  });

  it('does not count verifications bound to an old Mobile ID serial', async () => {
    const browser = new Browser();
    await mobileIdLogin(browser, '41791240006', { acr_values: QOR_300 }).then((p) => choose(browser, p, 'test-online'));
    await phone(server).reactivate('41791240006');
    const again = new Browser();
    const notice = await mobileIdLogin(again, '41791240006', { acr_values: QOR_300 });
    expect(notice.html).toMatch(/re-activated/);
    const next = new URL(/class="button" href="([^"]+)"/.exec(notice.html)![1]!.replace(/&amp;/g, '&'), server.url);
    const r = await again.follow(next, server.url);
    expect(r.left).toBeUndefined();
    expect(await r.res.text()).toContain('Your identity needs to be verified');
  });

  it('releases the verified identity, and verified_claims when the RP asks for them', async () => {
    const browser = new Browser();
    const claimsParam = JSON.stringify({
      id_token: { verified_claims: { verification: { trust_framework: null }, claims: { given_name: null, family_name: null } } },
    });
    const done = await mobileIdLogin(browser, '41791240001', { acr_values: QOR_300, scope: 'openid profile', claims: claimsParam });
    const tokens = await redeem(rp, done);
    const claims = tokens.claims()! as unknown as Record<string, unknown> & { verified_claims: { verification: Record<string, unknown>; claims: Record<string, unknown> } };
    expect(claims.verified_claims.verification).toMatchObject({
      trust_framework: 'urn:servicecore:trust-framework:login',
      assurance_level: QOR_300,
      evidence: [{ type: 'electronic_record', method: 'test-online' }],
    });
    expect(Date.parse(String(claims.verified_claims.verification.time))).toBeGreaterThan(Date.now() - 600_000);
    expect(claims.verified_claims.claims).toMatchObject({ given_name: 'Anna', family_name: 'Muster' });
    const userinfo = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(await userinfo.json()).toMatchObject({ given_name: 'Anna', family_name: 'Muster' });
  });

  it('releases no identity data for a user who has not verified', async () => {
    const browser = new Browser();
    const done = await giveUp(browser, await mobileIdLogin(browser, '41791240007', { acr_values: QOR_300, scope: 'openid profile' }));
    const tokens = await redeem(rp, done);
    const userinfo = (await (await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>;
    expect(userinfo.given_name).toBeUndefined();
    expect(userinfo.verified_claims).toBeUndefined();
  });

  it('makes a level with its own max_age log in again once that age has passed', async () => {
    const browser = new Browser();
    const first = await mobileIdLogin(browser, '41791240008', { acr_values: FRESH });
    expect((await redeem(rp, first)).claims()!.acr).toBe(FRESH);
    const sso = await rp.begin(browser, { acr_values: FRESH, prompt: 'none' });
    expect(sso.callback?.searchParams.get('code')).toBeTruthy();
    await new Promise((r) => setTimeout(r, 2100));
    const stale = await rp.begin(browser, { acr_values: FRESH, prompt: 'none' });
    expect(stale.callback?.searchParams.get('error')).toBe('login_required');
    const plain = await rp.begin(browser, { prompt: 'none' });
    expect(plain.callback?.searchParams.get('code'), 'a request without the level is not affected').toBeTruthy();
  });

  it('lists every supported level in discovery', async () => {
    const d = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { acr_values_supported: string[]; claims_supported: string[] };
    expect(d.acr_values_supported).toEqual(expect.arrayContaining([QOR_100, QOR_300, QOR_400, SIM, 'urn:servicecore:lot:mobileid-ch']));
    expect(d.claims_supported).toEqual(expect.arrayContaining(['acr', 'fulfilled_qors', 'arm_values']));
  });
});
