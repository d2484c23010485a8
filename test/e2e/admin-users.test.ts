/**
 * After Mobile ID is re-activated on a number: an administrator looks the user up and re-pins the
 * serial (admin API and console), or the user verifies their identity again; either way the next
 * login is normal again. Under the `reject` policy the re-pin is what lets the user back in.
 */
import fs from 'node:fs';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findAccountByMsisdn } from '../../src/accounts/index.js';
import { grantRole } from '../../src/admin/index.js';
import type { Db } from '../../src/db/index.js';
import { registerClient } from '../../src/oidc/clients.js';
import type { RunningServer } from '../../src/server.js';
import { Browser, formAction, hiddenInput } from '../helpers/browser.js';
import { migratedDb } from '../helpers/db.js';
import { createRp, phone, redeem, submitPhone, waitForResult, type Attempt, type Rp } from '../helpers/rp.js';
import { freePort, startSandboxServer, startTestServer } from '../helpers/server.js';
import { chooseMethod, instantOnlineMethod, policyDirWith } from '../helpers/stepup.js';

const QOR_100 = 'urn:servicecore:qor:100';
const QOR_300 = 'urn:servicecore:qor:300';
const ANNA = { given_name: 'Anna', family_name: 'Muster', birthdate: '1985-03-14' };

interface Running {
  server: RunningServer;
  rp: Rp;
  token: string;
  stop(): Promise<void>;
}

let downgrade: Running;
let reject: Running;
let policyDir: string;

async function adminToken(server: RunningServer): Promise<string> {
  const reg = await registerClient(server.provider, server.db, { client_name: 'Support automation', grant_types: ['client_credentials'], scope: 'admin' });
  const config = await oidc.discovery(new URL(server.url), reg.client_id, undefined, oidc.ClientSecretBasic(reg.client_secret!), { execute: [oidc.allowInsecureRequests] });
  return (await oidc.clientCredentialsGrant(config, { scope: 'admin' })).access_token;
}

beforeAll(async () => {
  // The downgrade server offers a test-only online method (kind auto) that approves at once.
  policyDir = policyDirWith('scl-repin-', (policy) => {
    policy.verification.methods['test-online'] = 'auto';
  });
  const t = await migratedDb();
  const db: Db = t.db;
  const server = await startTestServer({
    db,
    env: { SANDBOX: 'true', SIMULATOR_PORT: String(await freePort()), POLICY_DIR: policyDir, MOBILEID_POLL_INTERVAL_MS: '500' },
    verificationMethods: [instantOnlineMethod(() => db, ANNA)],
  });
  downgrade = { server, rp: await createRp(server), token: await adminToken(server), stop: async () => (await server.close(), await t.cleanup()) };

  const r = await startSandboxServer({ env: { MOBILEID_SERIAL_POLICY: 'reject', MOBILEID_POLL_INTERVAL_MS: '500' } });
  reject = { server: r.server, rp: await createRp(r.server), token: await adminToken(r.server), stop: async () => (await r.server.close(), await r.cleanup()) };
});
afterAll(async () => {
  await downgrade?.stop();
  await reject?.stop();
  fs.rmSync(policyDir, { recursive: true, force: true });
});

async function api(on: Running, method: string, urlPath: string, body?: unknown, bearer: string | null = on.token): Promise<{ status: number; body: any }> {
  const res = await fetch(`${on.server.url}/admin/api${urlPath}`, {
    method,
    headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), 'accept-language': 'en' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A login with a number that waits for the virtual phone, approved there. */
async function login(on: Running, msisdn: string, params: Record<string, string> = {}): Promise<{ browser: Browser; page: Attempt }> {
  const browser = new Browser({ 'accept-language': 'en' });
  const waiting = await submitPhone(on.server, browser, await on.rp.begin(browser, params), `+${msisdn}`);
  await phone(on.server).approve(msisdn);
  return { browser, page: await waitForResult(on.server, browser, waiting) };
}

const isNotice = (page: Attempt) => /Your Mobile ID was re-activated/.test(page.html);

/** Past the "Mobile ID was re-activated" page, as the user continues. */
async function continueAfterNotice(on: Running, browser: Browser, page: Attempt): Promise<Attempt> {
  const href = /class="button" href="([^"]+)"/.exec(page.html)![1]!.replace(/&amp;/g, '&');
  const r = await browser.follow(new URL(href, on.server.url), on.server.url);
  return { ...page, url: r.url, status: r.res.status, html: r.left ? '' : await r.res.text(), ...(r.left ? { callback: r.left } : {}) };
}

async function claimsOf(on: Running, page: Attempt): Promise<Record<string, unknown>> {
  return (await redeem(on.rp, page)).claims()!;
}

const mismatchEvents = (on: Running, accountId: string) => on.server.db('audit_events').where({ action: 'mobileid.serial_mismatch', subject: `account:${accountId}` });

describe('admin API: re-pin a Mobile ID', () => {
  const msisdn = '41791260001';

  it('looks the user up after a re-activation, re-pins to the serial of the last login, and the next login is normal with its verifications', async () => {
    // Verified once (QoR 300), with the first Mobile ID.
    let { browser, page } = await login(downgrade, msisdn, { acr_values: QOR_300 });
    page = await chooseMethod(downgrade.server, browser, page, 'test-online');
    expect((await claimsOf(downgrade, page)).fulfilled_qors).toEqual([QOR_100, QOR_300]);
    const account = (await findAccountByMsisdn(downgrade.server.db, msisdn))!;

    // Re-activated: the login goes through with the notice, and the verification no longer counts.
    await phone(downgrade.server).reactivate(msisdn);
    ({ browser, page } = await login(downgrade, msisdn));
    expect(isNotice(page)).toBe(true);
    expect((await claimsOf(downgrade, await continueAfterNotice(downgrade, browser, page))).fulfilled_qors).toEqual([QOR_100]);

    const found = await api(downgrade, 'POST', '/users/lookup', { phone: '079 126 00 01' });
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(found.body).toMatchObject({ id: account.id, msisdn: '+417******01', mobileid_serial: account.mobileidSerial, serial_mismatch: true, presented_serial: { login_refused: false } });
    const presented = found.body.presented_serial.serial as string;
    expect(presented).not.toBe(account.mobileidSerial);
    expect(JSON.stringify(found.body)).not.toContain(msisdn);
    expect((await api(downgrade, 'GET', `/users/${account.id}`)).body).toEqual(found.body);

    const repinned = await api(downgrade, 'POST', `/users/${account.id}/repin`, {});
    expect(repinned.status, JSON.stringify(repinned.body)).toBe(200);
    expect(repinned.body).toMatchObject({ before: account.mobileidSerial, after: presented, verifications_rebound: 1, user: { mobileid_serial: presented, serial_mismatch: false } });

    // The next login: no notice, no new mismatch event, and the earlier verification counts again.
    const mismatches = (await mismatchEvents(downgrade, account.id)).length;
    ({ page } = await login(downgrade, msisdn, { acr_values: QOR_300 }));
    expect(page.callback, 'straight back to the relying party').toBeDefined();
    const claims = await claimsOf(downgrade, page);
    expect(claims.fulfilled_qors).toEqual([QOR_100, QOR_300]);
    expect(claims.acr).toBe(QOR_300);
    expect(await mismatchEvents(downgrade, account.id)).toHaveLength(mismatches);

    const trail = await api(downgrade, 'GET', `/audit?subject=${encodeURIComponent(`account:${account.id}`)}&action=account.serial_repinned`);
    expect(trail.body.items).toHaveLength(1);
    expect(trail.body.items[0]).toMatchObject({ actor: expect.stringMatching(/^client:/), before: { serial: account.mobileidSerial }, after: { serial: presented }, detail: { reason: 'admin', source: 'last_login' } });

    const again = await api(downgrade, 'POST', `/users/${account.id}/repin`, {});
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: 'unchanged', message: 'This serial is already pinned: there is nothing to re-pin.' });
  });

  it('answers mistakes with a status and a sentence, and nothing without the admin token', async () => {
    const account = (await findAccountByMsisdn(downgrade.server.db, msisdn))!;
    const invalidPhone = await api(downgrade, 'POST', '/users/lookup', { phone: 'abc' });
    expect(invalidPhone).toMatchObject({ status: 400, body: { error: 'invalid_phone' } });
    expect((await api(downgrade, 'POST', '/users/lookup', { phone: '+41791269999' })).body.error).toBe('not_found');
    expect((await api(downgrade, 'GET', '/users/not-an-id')).status).toBe(404);
    const invalidSerial = await api(downgrade, 'POST', `/users/${account.id}/repin`, { serial: 'MID CHE' });
    expect(invalidSerial.status).toBe(400);
    expect(invalidSerial.body.message).toMatch(/letters and digits/);
    expect((await api(downgrade, 'POST', `/users/${account.id}/repin`, {}, null)).status).toBe(401);
    expect((await api(downgrade, 'POST', '/users/lookup', { phone: `+${msisdn}` }, null)).status).toBe(401);

    const typed = await api(downgrade, 'POST', `/users/${account.id}/repin`, { serial: 'midcheeeee000005' });
    expect(typed.status).toBe(200);
    expect(typed.body.after).toBe('MIDCHEEEEE000005');
  });
});

describe('the user verifies again (downgrade)', () => {
  it('pins the new serial, so later logins are normal', async () => {
    const msisdn = '41791260002';
    let { browser, page } = await login(downgrade, msisdn);
    await claimsOf(downgrade, page);
    const before = (await findAccountByMsisdn(downgrade.server.db, msisdn))!;

    await phone(downgrade.server).reactivate(msisdn);
    ({ browser, page } = await login(downgrade, msisdn, { acr_values: QOR_300 }));
    expect(isNotice(page)).toBe(true);
    const stepUp = await continueAfterNotice(downgrade, browser, page);
    expect(stepUp.html).toContain('value="test-online"');
    const done = await chooseMethod(downgrade.server, browser, stepUp, 'test-online');
    expect((await claimsOf(downgrade, done)).fulfilled_qors).toEqual([QOR_100, QOR_300]);

    const after = (await findAccountByMsisdn(downgrade.server.db, msisdn))!;
    expect(after.mobileidSerial).not.toBe(before.mobileidSerial);
    expect(after.mobileidSerial).toBe(after.lastLogin?.serial);
    const events = await downgrade.server.db('audit_events').where({ action: 'account.serial_repinned', subject: `account:${before.id}` });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: `account:${before.id}`, before: { serial: before.mobileidSerial }, after: { serial: after.mobileidSerial }, detail: { reason: 'verified_again', method: 'test-online' } });

    const mismatches = (await mismatchEvents(downgrade, before.id)).length;
    ({ page } = await login(downgrade, msisdn, { acr_values: QOR_300 }));
    expect(page.callback, 'no notice, no step-up').toBeDefined();
    expect((await claimsOf(downgrade, page)).acr).toBe(QOR_300);
    expect(await mismatchEvents(downgrade, before.id)).toHaveLength(mismatches);
  });
});

describe('reject policy', () => {
  it('refuses every login after a re-activation until an administrator re-pins the serial of the refused login', async () => {
    const msisdn = '41791260003';
    let { page } = await login(reject, msisdn);
    await claimsOf(reject, page);
    const account = (await findAccountByMsisdn(reject.server.db, msisdn))!;

    await phone(reject.server).reactivate(msisdn);
    for (let i = 0; i < 2; i += 1) {
      ({ page } = await login(reject, msisdn));
      expect(page.callback).toBeUndefined();
      expect(page.html).toMatch(/contact our support/);
    }
    const found = await api(reject, 'POST', '/users/lookup', { phone: `+${msisdn}` });
    expect(found.body).toMatchObject({ serial_mismatch: true, presented_serial: { login_refused: true } });
    const repinned = await api(reject, 'POST', `/users/${account.id}/repin`, {});
    expect(repinned.status, JSON.stringify(repinned.body)).toBe(200);
    expect(repinned.body.after).toBe(found.body.presented_serial.serial);

    ({ page } = await login(reject, msisdn));
    expect(page.callback, 'let in again').toBeDefined();
    expect((await claimsOf(reject, page)).sub).toBe(account.id);
  });
});

describe('admin console: users', () => {
  const adminNumber = '41791260010';
  const userNumber = '41791260011';
  const admin = new Browser({ 'accept-language': 'en' });

  async function open(browser: Browser, urlPath: string, form?: Record<string, string>): Promise<{ url: URL; status: number; html: string }> {
    const r = await browser.follow(new URL(urlPath, downgrade.server.url), downgrade.server.url, form ? { form } : {});
    return { url: r.url, status: r.res.status, html: await r.res.text() };
  }

  /** A console login with the phone (`switch`: with another number, past any provider session). */
  async function consoleLogin(browser: Browser, msisdn: string, opts: { switch?: boolean } = {}): Promise<{ url: URL; status: number; html: string }> {
    const loginPage = await open(browser, opts.switch ? '/admin/login?switch=1' : '/admin/login');
    const waiting = await open(browser, new URL(formAction(loginPage.html, '/login'), loginPage.url).href, { csrf: hiddenInput(loginPage.html, 'csrf'), phone: `+${msisdn}` });
    await phone(downgrade.server).approve(msisdn);
    let page = waiting;
    for (const started = Date.now(); page.html.includes('id="mobileid-status"') && Date.now() - started < 15_000; ) {
      await new Promise((r) => setTimeout(r, 250));
      page = await open(browser, page.url.href);
    }
    // Past the "Mobile ID was re-activated" notice, in whatever language.
    const onward = /class="button" href="(\/interaction\/[^"]+)"/.exec(page.html);
    if (onward) page = await open(browser, new URL(onward[1]!.replace(/&amp;/g, '&'), page.url).href);
    return page;
  }

  it('looks a user up by number and re-pins their Mobile ID with the form', async () => {
    await grantRole(downgrade.server.db, `+${adminNumber}`, 'admin', { actor: 'cli' });
    const page = await consoleLogin(admin, adminNumber);
    expect(page.url.pathname).toBe('/admin/qors');
    expect(page.html).toContain('href="/admin/users"');

    // A user whose Mobile ID was re-activated.
    await claimsOf(downgrade, (await login(downgrade, userNumber)).page);
    await phone(downgrade.server).reactivate(userNumber);
    const { browser, page: notice } = await login(downgrade, userNumber);
    await continueAfterNotice(downgrade, browser, notice);
    const user = (await findAccountByMsisdn(downgrade.server.db, userNumber))!;

    const lookup = await open(admin, '/admin/users');
    expect(lookup.status).toBe(200);
    const csrf = hiddenInput(lookup.html, 'csrf');
    const invalid = await open(admin, '/admin/users', { csrf, phone: 'abc' });
    expect(invalid.status).toBe(400);
    expect(invalid.html).toContain('This is not a phone number');
    const unknown = await open(admin, '/admin/users', { csrf, phone: '+41791269998' });
    expect(unknown.status).toBe(404);

    const shown = await open(admin, '/admin/users', { csrf, phone: '079 126 00 11' });
    expect(shown.url.pathname).toBe(`/admin/users/${user.id}`);
    expect(shown.html).toContain('+417******11');
    expect(shown.html).not.toContain(userNumber);
    expect(shown.html).toContain(user.mobileidSerial!);
    expect(shown.html).toContain('id="serial-mismatch"');
    expect(shown.html).toContain(`Leave it empty to pin the serial of the most recent login (${user.lastLogin!.serial})`);

    const forged = await admin.request(new URL(`/admin/users/${user.id}/repin`, downgrade.server.url), { form: { serial: '' } });
    expect(forged.status).toBe(403);
    const wrong = await open(admin, `/admin/users/${user.id}/repin`, { csrf, serial: 'M!' });
    expect(wrong.status).toBe(400);
    expect(wrong.html).toContain('id="form-error"');
    expect((await findAccountByMsisdn(downgrade.server.db, userNumber))!.mobileidSerial).toBe(user.mobileidSerial);

    const done = await open(admin, `/admin/users/${user.id}/repin`, { csrf, serial: '' });
    expect(done.url.pathname).toBe(`/admin/users/${user.id}`);
    expect(done.html).toContain('The Mobile ID serial was re-pinned');
    expect(done.html).toContain('id="serial-match"');
    const adminAccount = (await findAccountByMsisdn(downgrade.server.db, adminNumber))!;
    const event = await downgrade.server.db('audit_events').where({ action: 'account.serial_repinned', subject: `account:${user.id}` }).first();
    expect(event).toMatchObject({ actor: `account:${adminAccount.id}`, after: { serial: user.lastLogin!.serial } });

    const history = await open(admin, `/admin/audit?subject=${encodeURIComponent(`account:${user.id}`)}`);
    expect(history.html).toContain('account.serial_repinned');
    expect(history.html).toContain('mobileid.serial_mismatch');

    // Nobody re-pins their own Mobile ID.
    const own = await open(admin, `/admin/users/${adminAccount.id}`);
    expect(own.html).toContain('You cannot re-pin your own Mobile ID');
    expect(own.html).not.toContain('name="serial"');
    const refused = await open(admin, `/admin/users/${adminAccount.id}/repin`, { csrf, serial: 'MIDCHEFFFF000006' });
    expect(refused.status).toBe(403);
    expect((await findAccountByMsisdn(downgrade.server.db, adminNumber))!.mobileidSerial).toBe(adminAccount.mobileidSerial);

    expect((await new Browser().request(new URL(`/admin/users/${user.id}`, downgrade.server.url))).status).toBe(303); // no session: to the login

    const german = await open(admin, `/admin/users/${user.id}?lang=de`);
    expect(german.html).toContain('Mobile ID neu hinterlegen');
    expect(german.html).toContain('Hinterlegte Mobile-ID-Seriennummer');
  });

  it('closes the console to an administrator whose Mobile ID was re-activated, until another administrator re-pins it', async () => {
    const otherNumber = '41791260012';
    await grantRole(downgrade.server.db, `+${otherNumber}`, 'admin', { actor: 'cli' });
    const before = new Browser({ 'accept-language': 'en' });
    expect((await consoleLogin(before, otherNumber)).url.pathname).toBe('/admin/qors');
    const other = (await findAccountByMsisdn(downgrade.server.db, otherNumber))!;

    // Whoever re-activated Mobile ID on the number gets through the downgrade login, not into the console.
    await phone(downgrade.server).reactivate(otherNumber);
    const after = new Browser({ 'accept-language': 'en' });
    const refused = await consoleLogin(after, otherNumber);
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('Another administrator must confirm who you are and re-pin your Mobile ID');
    expect(await downgrade.server.db('audit_events').where({ action: 'admin.login_refused', subject: `account:${other.id}` }).first()).toMatchObject({ detail: { reason: 'serial_mismatch' } });
    // The console session opened before the re-activation ends too (its single sign-on with it).
    const closed = await open(before, '/admin/qors');
    expect(closed.status).toBe(403);
    expect(closed.html).toContain('re-pin your Mobile ID');
    const german = await consoleLogin(new Browser({ 'accept-language': 'de' }), otherNumber);
    expect(german.html).toContain('Mobile ID neu hinterlegen');

    // Another administrator re-pins; the next login opens the console again.
    const shown = await open(admin, `/admin/users/${other.id}`);
    const repinned = await open(admin, `/admin/users/${other.id}/repin`, { csrf: hiddenInput(shown.html, 'csrf'), serial: '' });
    expect(repinned.html).toContain('id="serial-match"');
    expect((await findAccountByMsisdn(downgrade.server.db, otherNumber))!.mobileidSerial).not.toBe(other.mobileidSerial);
    expect((await consoleLogin(after, otherNumber, { switch: true })).url.pathname).toBe('/admin/qors');
  });
});
