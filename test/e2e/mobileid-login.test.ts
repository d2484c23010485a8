/**
 * A relying party logs users in through the whole flow: openid-client → /auth → login page →
 * Mobile ID (simulator, same wire protocol as Swisscom's) → code → tokens.
 */
import { Writable } from 'node:stream';

import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/logger.js';
import type { RunningServer } from '../../src/server.js';
import { Browser } from '../helpers/browser.js';
import { createRp, phone, redeem, submitPhone, waitForResult, type Rp } from '../helpers/rp.js';
import { startSandboxServer } from '../helpers/server.js';

let server: RunningServer;
let cleanup: () => Promise<void>;
let rp: Rp;
/** The server's access log lines. */
const accessLog: { level: string; path: string; status: number }[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { msg?: string; level: string; path: string; status: number };
        if (entry.msg === 'request') accessLog.push({ level: entry.level, path: entry.path, status: entry.status });
      }
      done();
    },
  });
  ({ server, cleanup } = await startSandboxServer({
    env: { MOBILEID_POLL_INTERVAL_MS: '500', MOBILEID_RATE_LIMIT_PER_IP: '1000/600', MOBILEID_RATE_LIMIT_PER_NUMBER: '50/600' },
    log: createLogger('debug', sink),
  }));
  rp = await createRp(server);
});
afterAll(async () => {
  await server.close();
  await cleanup();
});

describe('login with Mobile ID', () => {
  it.each([
    ['EC', '+41 70 009 25 01'],
    ['RSA', '0041700092502'],
  ])('completes the code flow with PKCE for the %s test number', async (_kind, number) => {
    const browser = new Browser({ 'accept-language': 'en' });
    const start = await rp.begin(browser);
    expect(start.html).toContain('Log in with Mobile ID');
    const done = await waitForResult(server, browser, await submitPhone(server, browser, start, number));
    expect(done.callback?.searchParams.get('iss')).toBe(server.url);
    const tokens = await redeem(rp, done);
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(server.url);
    expect(claims.aud).toBe(rp.clientId);
    expect(claims.acr).toBe('urn:servicecore:qoa:mobileid-sim');
    expect(claims.amr).toEqual(['hwk', 'pin', 'mfa']);
    expect(typeof claims.auth_time).toBe('number');
    const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub);
    expect(userinfo.phone_number).toBe(`+${number.replace(/\D/g, '').replace(/^00/, '')}`);
    expect(userinfo.phone_number_verified).toBe(true);
  });

  it('waits for the person on the phone and shows the transaction code on both', async () => {
    const msisdn = '41791110001';
    const browser = new Browser({ 'accept-language': 'de' });
    const waiting = await submitPhone(server, browser, await rp.begin(browser), '079 111 00 01');
    expect(waiting.html).toContain('Bestätigen Sie auf Ihrem Telefon');
    const code = /id="transaction-code">([A-Z0-9]+)</.exec(waiting.html)?.[1];
    expect(code).toMatch(/^[A-Z0-9]{6}$/);
    expect(waiting.html).toContain('+417******01');
    expect(waiting.html).not.toContain('41791110001');
    const [pending] = ((await phone(server).pending(msisdn)) as unknown as { pending: { dtbd: string; userLang: string }[] }).pending;
    expect(pending!.dtbd).toContain(`(${code})`);
    expect(pending!.dtbd).toContain('Example Service');
    expect(pending!.userLang).toBe('DE');

    const statusUrl = new URL(/data-status-url="([^"]+)"/.exec(waiting.html)![1]!, server.url);
    const status = await browser.request(statusUrl, { headers: { accept: 'application/json' } });
    expect(await status.json()).toMatchObject({ status: 'pending' });
    // Only the browser of this interaction may read the state: no cookie, or another
    // interaction's, gets the "session expired" answer and nothing about the login.
    const stranger = new Browser({ 'accept-language': 'en' });
    const refused = await stranger.request(statusUrl, { headers: { accept: 'application/json' } });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'session_not_found', message: expect.any(String) });
    await rp.begin(stranger);
    const elsewhere = await stranger.request(statusUrl, { headers: { accept: 'application/json' } });
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.json()).toMatchObject({ error: 'session_not_found' });
    // The browser's polls are routine (debug); the refused ones are not.
    expect(accessLog.filter((l) => l.path === statusUrl.pathname).map((l) => [l.status, l.level])).toEqual([
      [200, 'debug'],
      [400, 'info'],
      [400, 'info'],
    ]);

    await phone(server).approve(msisdn);
    // The page that learns of the signature finishes the login in the same request: when the
    // relying party asks for nothing beyond Mobile ID, straight back to the provider, with no
    // step-up page in between.
    let finished = await browser.request(waiting.url);
    for (let i = 0; finished.status === 200 && i < 40; i++) {
      await new Promise((r) => setTimeout(r, 250));
      finished = await browser.request(waiting.url);
    }
    expect(finished.status).toBe(303);
    const resume = new URL(finished.headers.get('location')!, server.url);
    expect(resume.pathname).toMatch(/^\/auth\/[\w-]+$/);
    const done = await waitForResult(server, browser, { ...waiting, url: resume });
    const tokens = await redeem(rp, done);
    expect(tokens.claims()!.acr).toBe('urn:servicecore:qoa:mobileid-sim');
  });

  it('keeps the language the login was started in (ui_locales) on the waiting page and its reloads', async () => {
    const msisdn = '41791110009';
    const browser = new Browser({ 'accept-language': 'en' });
    const waiting = await submitPhone(server, browser, await rp.begin(browser, { ui_locales: 'fr' }), msisdn);
    expect(waiting.html).toContain('Confirmez sur votre téléphone');
    const reload = await browser.request(waiting.url);
    expect(await reload.text()).toContain('Confirmez sur votre téléphone');
    const english = await browser.request(new URL(`${waiting.url.pathname}?lang=en`, waiting.url));
    expect(await english.text()).toContain('Confirm on your phone');
    await phone(server).cancel(msisdn);
  });

  it('refuses a malformed number on the page before anything is sent', async () => {
    const browser = new Browser({ 'accept-language': 'fr' });
    const page = await submitPhone(server, browser, await rp.begin(browser), '12ab');
    expect(page.status).toBe(400);
    expect(page.html).toContain('Ce numéro de mobile n&#39;est pas valide');
    expect(page.html).toContain('value="12ab"');
    expect(await server.db('mobileid_transactions').where('msisdn', 'like', '%12%').andWhere('created_at', '>', new Date(Date.now() - 2000))).toHaveLength(0);
  });

  it.each([
    ['105', /no Mobile ID|not registered for Mobile ID|has no Mobile ID/i],
    ['401', /cancel/i],
    ['208', /expired|too long|timed out/i],
    ['402', /PIN/],
    ['404', /activat/i],
    ['406', /already/i],
    ['109', /profile|method|not supported/i],
    ['900', /unavailable|try again later/i],
  ])('shows an actionable message for fault %s', async (fault, message) => {
    const browser = new Browser({ 'accept-language': 'en' });
    const page = await waitForResult(server, browser, await submitPhone(server, browser, await rp.begin(browser), `+41000092${fault}`));
    expect(page.callback).toBeUndefined();
    expect(page.html).toMatch(message);
    expect(page.html).toContain('/abort');
  });

  it('refuses a second concurrent login for the same number while the first is pending', async () => {
    const first = new Browser();
    const waiting = await submitPhone(server, first, await rp.begin(first), '+41791110002');
    expect(waiting.html).toContain('id="mobileid-status"');
    const second = new Browser();
    const refused = await submitPhone(server, second, await rp.begin(second), '+41791110002');
    expect(refused.status).toBe(409);
    expect(refused.html).toMatch(/already waiting on this phone/);
    await phone(server).cancel('41791110002');
    const cancelled = await waitForResult(server, first, waiting);
    expect(cancelled.html).toMatch(/cancel/i);
  });

  it('serial mismatch: downgrade lets the login through with a notice and audits it', async () => {
    const msisdn = '41791110003';
    const browser = new Browser();
    let attempt = await submitPhone(server, browser, await rp.begin(browser), msisdn);
    await phone(server).approve(msisdn);
    await redeem(rp, await waitForResult(server, browser, attempt));
    const before = await server.db('accounts').where({ msisdn }).first();

    await phone(server).reactivate(msisdn);
    const again = new Browser();
    attempt = await submitPhone(server, again, await rp.begin(again, { prompt: 'login' }), msisdn);
    await phone(server).approve(msisdn);
    const notice = await waitForResult(server, again, attempt);
    expect(notice.html).toMatch(/re-activated/);
    const continueUrl = new URL(/href="([^"]+)" *>Continue|class="button" href="([^"]+)"/.exec(notice.html)!.slice(1).find(Boolean)!.replace(/&amp;/g, '&'), server.url);
    const back = await again.follow(continueUrl, server.url);
    const tokens = await redeem(rp, { ...attempt, callback: back.left! });
    expect(tokens.claims()!.sub).toBe(before.id);
    const after = await server.db('accounts').where({ msisdn }).first();
    expect(after.mobileid_serial).toBe(before.mobileid_serial);
    const events = await server.db('audit_events').where({ action: 'mobileid.serial_mismatch', subject: `account:${before.id}` });
    expect(events).toHaveLength(1);
  });
});
