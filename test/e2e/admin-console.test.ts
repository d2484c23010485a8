/**
 * The admin console as a person uses it: the first administrator is granted from the command
 * line, logs in through this provider with Mobile ID, edits a QoR row in the form, sees a field
 * error, finds the change in the audit log. Others get a 403 page; forms without CSRF are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findAccountByMsisdn } from '../../src/accounts/index.js';
import { grantRole, revokeRole } from '../../src/admin/index.js';
import type { RunningServer } from '../../src/server.js';
import { Browser, formAction, hiddenInput } from '../helpers/browser.js';
import { phone } from '../helpers/rp.js';
import { startSandboxServer } from '../helpers/server.js';

const QOR_300 = 'urn:servicecore:qor:300';
/** Waits for the virtual phone. */
const ADMIN_NUMBER = '41791250001';
/** Confirms at once. */
const OTHER_NUMBER = '41700092501';

let server: RunningServer;
let cleanup: () => Promise<void>;
let admin: Browser;

interface Page {
  url: URL;
  status: number;
  html: string;
}

async function open(browser: Browser, path: string, form?: Record<string, string>): Promise<Page> {
  const r = await browser.follow(new URL(path, server.url), server.url, form ? { form } : {});
  expect(r.left, 'stays on the provider').toBeUndefined();
  return { url: r.url, status: r.res.status, html: await r.res.text() };
}

/** From /admin/login through the provider's login page (and the phone) back to the console. */
async function consoleLogin(browser: Browser, msisdn: string, approve: boolean): Promise<Page> {
  const loginPage = await open(browser, '/admin/login');
  expect(loginPage.url.pathname).toMatch(/^\/interaction\//);
  const action = new URL(formAction(loginPage.html, '/login'), loginPage.url);
  let page = await open(browser, action.href, { csrf: hiddenInput(loginPage.html, 'csrf'), phone: `+${msisdn}` });
  if (approve) {
    expect(page.html).toContain('id="mobileid-status"');
    await phone(server).approve(msisdn);
  }
  const started = Date.now();
  while (page.html.includes('id="mobileid-status"') && Date.now() - started < 15_000) {
    await new Promise((r) => setTimeout(r, 250));
    page = await open(browser, page.url.href);
  }
  return page;
}

async function qorRow(systemName: string) {
  return server.db('servicecorelogin_quality_of_registration').where({ system_name: systemName }).first();
}

beforeAll(async () => {
  ({ server, cleanup } = await startSandboxServer({ env: { MOBILEID_POLL_INTERVAL_MS: '500' } }));
  admin = new Browser({ 'accept-language': 'en' });
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

describe('admin console', () => {
  it('sends a visitor without a session to the login', async () => {
    const res = await new Browser().request(`${server.url}/admin/qors`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/admin/login?return=${encodeURIComponent('/admin/qors')}`);
  });

  it('lets the first administrator, granted from the command line, log in through the provider', async () => {
    const granted = await grantRole(server.db, `+${ADMIN_NUMBER}`, 'admin', { actor: 'cli' });
    expect(granted).toMatchObject({ created: true, changed: true, roles: ['admin'], maskedMsisdn: '+417******01' });
    expect((await findAccountByMsisdn(server.db, ADMIN_NUMBER))?.mobileidSerial).toBeNull();

    const page = await consoleLogin(admin, ADMIN_NUMBER, true);
    expect(page.status).toBe(200);
    expect(page.url.pathname).toBe('/admin/qors');
    expect(page.html).toContain('Qualities of Registration');
    expect(page.html).toContain(QOR_300);
    expect(page.html).toContain('+417******01');
    expect(page.html).not.toContain(ADMIN_NUMBER);
    // The first login pinned the Mobile ID serial of the account the grant created.
    expect((await findAccountByMsisdn(server.db, ADMIN_NUMBER))?.mobileidSerial).toBeTruthy();
  });

  it('edits a row through the form, shows field errors, and refuses a form without its CSRF token', async () => {
    const row = await qorRow(QOR_300);
    const form = await open(admin, `/admin/qors/${row.id}`);
    expect(form.status).toBe(200);
    expect(form.html).toContain(`value="${QOR_300}"`);
    const csrf = hiddenInput(form.html, 'csrf');
    const fields = { system_name: QOR_300, name_key: 'qor.300', steps: '1', quality_of_registration_strength_id: String(row.quality_of_registration_strength_id) };

    const dummy = await open(admin, `/admin/qors/${row.id}`, { csrf, ...fields, steps: '0', name_key: '' });
    expect(dummy.status).toBe(400);
    expect(dummy.html).toContain('The row was not saved');
    expect(dummy.html).toMatch(/id="f-steps-error" data-field="steps">0 \(Dummy\) is a placeholder/);
    expect(dummy.html).toMatch(/id="f-name_key-error" data-field="name_key">This field is required\./);
    expect(dummy.html).not.toContain('id="f-system_name-error"');
    expect((await qorRow(QOR_300)).steps).toBe(2);

    const forged = await admin.request(new URL(`/admin/qors/${row.id}`, server.url), { form: fields });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('This form has expired');
    const wrong = await admin.request(new URL(`/admin/qors/${row.id}`, server.url), { form: { ...fields, csrf: 'x'.repeat(43) } });
    expect(wrong.status).toBe(403);
    expect((await qorRow(QOR_300)).steps).toBe(2);

    const saved = await open(admin, `/admin/qors/${row.id}`, { csrf, ...fields });
    expect(saved.status).toBe(200);
    expect(saved.url.pathname).toBe('/admin/qors');
    expect(saved.html).toContain('The change was saved.');
    expect((await qorRow(QOR_300)).steps).toBe(1);
  });

  it('creates a row and refuses to delete what is still in use', async () => {
    const created = await open(admin, '/admin/strengths/new');
    const csrf = hiddenInput(created.html, 'csrf');
    const list = await open(admin, '/admin/strengths', { csrf, system_name: 'urn:servicecore:qor-strength:console', name_key: 'qor.strength.console', level: '150' });
    expect(list.html).toContain('The row was created.');
    expect(list.html).toContain('urn:servicecore:qor-strength:console');

    const low = await server.db('servicecorelogin_quality_of_registration_strength').where({ system_name: 'urn:servicecore:qor-strength:low' }).first();
    const edit = await open(admin, `/admin/strengths/${low.id}`);
    expect(edit.html).toContain('cannot be deleted while it is used by: urn:servicecore:qor:100');
    const refused = await open(admin, `/admin/strengths/${low.id}/delete`, { csrf });
    expect(refused.status).toBe(409);
    expect(refused.html).toContain('still used by');

    const mine = await server.db('servicecorelogin_quality_of_registration_strength').where({ system_name: 'urn:servicecore:qor-strength:console' }).first();
    const deleted = await open(admin, `/admin/strengths/${mine.id}/delete`, { csrf });
    expect(deleted.url.pathname).toBe('/admin/strengths');
    expect(deleted.html).toContain('The row was deleted.');
  });

  it('shows the change in the audit log, with who and before/after', async () => {
    const account = await findAccountByMsisdn(server.db, ADMIN_NUMBER);
    const page = await open(admin, `/admin/audit?subject=${encodeURIComponent(`qor:${QOR_300}`)}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('policy.qor.update');
    expect(page.html).toContain(`account:${account!.id}`);
    expect(page.html).toMatch(/&quot;steps&quot;: 2/);
    expect(page.html).toMatch(/&quot;steps&quot;: 1/);
    const all = await open(admin, '/admin/audit');
    expect(all.html).toContain('policy.strength.create');
    expect(all.html).toContain('policy.strength.delete');
    expect(all.html).toContain('account.role.grant');
  });

  it('serves the JSON API to the session, with the CSRF token as a header for writes', async () => {
    const list = await admin.request(`${server.url}/admin/api/qors`);
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: unknown[] }).items.length).toBe(3);
    const csrf = hiddenInput((await open(admin, '/admin/qors')).html, 'csrf');
    const noToken = await admin.request(`${server.url}/admin/api/qors/999999`, { method: 'DELETE' });
    expect(noToken.status).toBe(403);
    expect(await noToken.json()).toEqual({ error: 'csrf' });
    const withToken = await admin.request(`${server.url}/admin/api/qors/999999`, { method: 'DELETE', headers: { 'x-csrf-token': csrf } });
    expect(withToken.status).toBe(404);
  });

  it('answers a person without the admin role with a translated 403 page', async () => {
    const other = new Browser({ 'accept-language': 'de' });
    const page = await consoleLogin(other, OTHER_NUMBER, false);
    expect(page.url.pathname).toBe('/admin/callback');
    expect(page.status).toBe(403);
    expect(page.html).toContain('Ihr Konto hat keinen Zugang zur Verwaltung');
    expect(page.html).toContain('lang="de"');
    const next = await other.request(`${server.url}/admin/qors`);
    expect(next.status).toBe(303);
    const api = await other.request(`${server.url}/admin/api/qors`);
    expect(api.status).toBe(401);
  });

  it('refuses an administrator whose login did not reach ADMIN_ACR (the Mobile ID App, not the SIM)', async () => {
    const appOnly = '41791250002';
    await grantRole(server.db, `+${appOnly}`, 'admin', { actor: 'cli' });
    const res = await fetch(`${server.sandbox!.mobileIdUrl}/phone/api/methods`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ msisdn: appOnly, sim: false, app: true }),
    });
    expect(res.ok).toBe(true);
    const browser = new Browser({ 'accept-language': 'en' });
    // The provider cannot reach the SIM level with the App; the person continues at the lower level.
    const stepUp = await consoleLogin(browser, appOnly, true);
    expect(stepUp.url.pathname).toMatch(/\/stepup\//);
    const back = await open(browser, new URL(formAction(stepUp.html, '/continue'), stepUp.url).href, { csrf: hiddenInput(stepUp.html, 'csrf') });
    expect(back.url.pathname).toBe('/admin/callback');
    expect(back.status).toBe(403);
    expect(back.html).toContain('The admin console needs a login at the level urn:servicecore:qoa:mobileid-sim');
    expect((await browser.request(`${server.url}/admin/qors`)).status).toBe(303);
  });

  it('refuses a callback that was not started by the console', async () => {
    const page = await open(new Browser({ 'accept-language': 'it' }), '/admin/callback?code=forged&state=forged');
    expect(page.status).toBe(400);
    expect(page.html).toContain('L’accesso non è stato completato');
  });

  it('closes the console at once when the role is revoked', async () => {
    await revokeRole(server.db, `+${ADMIN_NUMBER}`, 'admin', { actor: 'cli' });
    const page = await open(admin, '/admin/qors');
    expect(page.status).toBe(403);
    expect(page.html).toContain('Your account has no access to the admin console');
  });
});
