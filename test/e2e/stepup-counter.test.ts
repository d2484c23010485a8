/**
 * Identification at a counter, end to end: a relying party asks for QoR 300; the user logs in with
 * Mobile ID, chooses the counter on the step-up page, enters the identity to check and gets the
 * document (HTML and PDF) with a QR code; a verifier scans it at the desk of the admin console,
 * compares, records the document and approves; at the next login the id_token lists the QoR.
 * Refused: expired and used codes, a case another verifier has open, an account without the
 * verifier role. A table with only steps 1, 4 and 5 never offers the counter.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findAccountByMsisdn } from '../../src/accounts/index.js';
import { grantRole } from '../../src/admin/index.js';
import type { RunningServer } from '../../src/server.js';
import { Browser, formAction, hiddenInput } from '../helpers/browser.js';
import { CHECKED_ID_CARD, chooseCounter as chooseCounterOn, counterCode, deskOpen as deskOpenOn, submitCounterIdentity } from '../helpers/counter.js';
import { consoleVisit as consoleVisitOn, openPage, type Page } from '../helpers/pages.js';
import { pdfTextRuns } from '../helpers/pdf.js';
import { decodeQrPdf, decodeQrSvg } from '../helpers/qr.js';
import { createRp, redeem, submitPhone, waitForResult, type Attempt, type Rp } from '../helpers/rp.js';
import { startSandboxServer } from '../helpers/server.js';
import { rpLogin as rpLoginOn } from '../helpers/stepup.js';

const QOR_100 = 'urn:servicecore:qor:100';
const QOR_300 = 'urn:servicecore:qor:300';

/** Mobile ID numbers: the first two confirm at once, the others wait for the virtual phone. */
const USER = '41700092501';
const ALICE = '41700092502';
const BOB = '41791260001';
const ADMIN_ONLY = '41791260002';
const LATE_USER = '41791260003';

let server: RunningServer;
let cleanup: () => Promise<void>;
let rp: Rp;

beforeAll(async () => {
  ({ server, cleanup } = await startSandboxServer({ env: { MOBILEID_POLL_INTERVAL_MS: '500' } }));
  rp = await createRp(server);
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

const open = (browser: Browser, target: string, form?: Record<string, string>) => openPage(server, browser, target, form);
const consoleVisit = (browser: Browser, target: string, msisdn: string, approve: boolean) => consoleVisitOn(server, browser, target, msisdn, approve);
const rpLogin = (browser: Browser, msisdn: string, params: Record<string, string>) => rpLoginOn(server, rp, browser, msisdn, params);
const chooseCounter = (browser: Browser, stepUp: Page) => chooseCounterOn(server, browser, stepUp);

const identity = { given_names: 'Anna Maria', family_name: 'Muster-Zürcher', birth_date: '1985-04-12', nationality: 'ch' };

const submitIdentity = (browser: Browser, form: Page, fields: Record<string, string>) => submitCounterIdentity(server, browser, form, fields);

const hrefOf = (html: string, id: string) => new URL(new RegExp(`href="([^"]+)" id="${id}"`).exec(html)![1]!.replace(/&amp;/g, '&'), server.url).href;
const deskOpen = (browser: Browser, desk: Page, reference: string) => deskOpenOn(server, browser, desk, reference);
const auditActions = async (caseId: string) => ((await server.db('audit_events').where({ subject: `counter-case:${caseId}` }).orderBy('id')) as { action: string; detail: unknown }[]);

describe('identification at a counter', () => {
  const user = new Browser({ 'accept-language': 'en' });
  const alice = new Browser({ 'accept-language': 'en' });
  const bob = new Browser({ 'accept-language': 'en' });
  let stepUp: Attempt;
  let casePage: Page;
  let qrContent: string;
  let caseId: string;

  it('offers the counter on the step-up page and asks for the identity to check', async () => {
    stepUp = await rpLogin(user, USER, { acr_values: QOR_300 });
    expect(stepUp.callback).toBeUndefined();
    expect(stepUp.html).toContain('value="manual-counter"');
    expect(stepUp.html).toContain('At a counter, in person');

    const form = await chooseCounter(user, stepUp);
    expect(form.url.pathname).toMatch(/\/stepup\/[^/]+\/counter$/);
    expect(form.html).toContain('Identify yourself in person at a counter');
    expect(form.html).toContain('name="nationality"');

    const missing = await submitIdentity(user, form, { ...identity, nationality: '' });
    expect(missing.status).toBe(400);
    expect(missing.html).toContain('Please enter the two-letter country code of your nationality');
    expect(missing.html).toContain('value="Anna Maria"');

    const forged = await user.request(new URL(formAction(form.html, '/counter'), form.url), { form: { offer: hiddenInput(form.html, 'offer'), ...identity } });
    expect(forged.status, 'no CSRF token').toBe(403);

    casePage = await submitIdentity(user, form, identity);
    expect(casePage.url.pathname).toMatch(/\/counter\/case$/);
    expect(casePage.html).toContain('Your identification at a counter is under way');
    expect(casePage.html).toMatch(/data-state="open"/);
    expect(casePage.html).toMatch(/id="counter-code">[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}</);
  });

  it('puts only a signed, expiring reference into the QR code', async () => {
    qrContent = decodeQrSvg(casePage.html);
    expect(qrContent.startsWith(`${server.url}/admin/desk/scan?t=`)).toBe(true);
    const token = new URL(qrContent).searchParams.get('t')!;
    const claims = decodeJwt(token);
    expect(Object.keys(claims).sort()).toEqual(['exp', 'jti', 'sub']);
    expect(claims.exp! * 1000).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    caseId = claims.sub!;
    // The token itself is random base64url (it may spell "CH" by chance): its payload is checked below.
    expect(qrContent.replace(token, '')).not.toMatch(/Anna|Maria|Muster|(?<![\w-])1985(?!\w)|CH\b/);
    expect(Buffer.from(token.split('.')[1]!, 'base64url').toString()).not.toMatch(/Anna|Muster|(?<![\w-])1985(?!\w)/);
  });

  it('serves the document as HTML and PDF through its own link, without a login', async () => {
    const stranger = new Browser({ 'accept-language': 'de' });
    const html = await stranger.request(hrefOf(casePage.html, 'counter-document').replace('lang=en', 'lang=de'));
    expect(html.status).toBe(200);
    expect(html.headers.get('cache-control')).toBe('no-store');
    const text = await html.text();
    expect(text).toContain('Identifikation am Schalter');
    expect(text).toContain('Muster-Zürcher');
    expect(decodeQrSvg(text)).toBe(qrContent);

    const pdf = await stranger.request(hrefOf(casePage.html, 'counter-pdf'));
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(decodeQrPdf(bytes), 'the PDF carries the same reference, no personal data').toBe(qrContent);
    expect(pdfTextRuns(bytes).map((run) => run.trim()), 'the data to compare, printed').toContain('Muster-Zürcher');

    const link = new URL(hrefOf(casePage.html, 'counter-document'));
    expect(link.pathname, 'the key stays out of the path (and the access log)').toBe(`/counter/documents/${caseId}`);
    link.searchParams.set('key', 'A'.repeat(43));
    const guessed = await stranger.request(link);
    expect(guessed.status).toBe(404);
  });

  it('shows the case as in progress on the step-up page, and leads back to it', async () => {
    const again = await open(user, stepUp.url.href);
    expect(again.html).toContain('In progress: At a counter, in person');
    const back = await chooseCounter(user, again);
    expect(back.url.pathname).toMatch(/\/counter\/case$/);
    expect(decodeQrSvg(back.html)).toBe(qrContent);
  });

  it('lets a verifier open the case from the QR code, after logging in to the console', async () => {
    await grantRole(server.db, `+${ALICE}`, 'verifier', { actor: 'cli' });
    const desk = await consoleVisit(alice, qrContent, ALICE, false);
    expect(desk.url.pathname).toBe('/admin/desk/scan');
    expect(desk.html).toContain('QR code read.');
    expect(desk.html).toContain(`value="${new URL(qrContent).searchParams.get('t')}"`);
    expect(desk.html).toContain('Counter desk');
    expect(desk.html, 'a verifier sees no policy tables').not.toContain('Qualities of Registration');

    const opened = await deskOpen(alice, desk, qrContent);
    expect(opened.url.pathname).toBe(`/admin/desk/cases/${caseId}`);
    expect(opened.html).toContain('Anna Maria');
    expect(opened.html).toContain('Muster-Zürcher');
    expect(opened.html).toContain('12.04.1985');
    expect(opened.html).toMatch(/<dd>CH<\/dd>/);

    const policy = await open(alice, '/admin/qors');
    expect(policy.status, 'the policy tables stay closed to a verifier').toBe(403);
    expect((await open(alice, '/admin/desk')).status, 'and the desk stays open').toBe(200);
  });

  it('tells the user a verifier is checking, and keeps the case from being withdrawn meanwhile', async () => {
    const page = await open(user, casePage.url.href);
    expect(page.html).toMatch(/data-state="in_check"/);
    expect(page.html).toContain('A verifier is checking your identity right now.');
    const cancel = await open(user, new URL(formAction(page.html, '/counter/cancel'), page.url).href, { csrf: hiddenInput(page.html, 'csrf') });
    expect(cancel.url.pathname).toBe(stepUp.url.pathname);
    expect(cancel.html).toContain('A verifier is checking your identity at this moment');
  });

  it('refuses a second verifier while the case is open at another desk, saying who and since when', async () => {
    await grantRole(server.db, `+${BOB}`, 'verifier', { actor: 'cli' });
    const desk = await consoleVisit(bob, '/admin/desk', BOB, true);
    expect(desk.url.pathname).toBe('/admin/desk');
    const code = counterCode(casePage);
    const refused = await deskOpen(bob, desk, code.toLowerCase());
    expect(refused.status).toBe(409);
    expect(refused.html).toMatch(/Another verifier \(\+417\*{6}02\) has had this case open since/);
    expect(refused.html).not.toMatch(/Anna|Muster|(?<![\w-])1985(?!\w)/);
    expect((await open(bob, `/admin/desk/cases/${caseId}`)).status).toBe(409);
  });

  it('refuses an account without the verifier role', async () => {
    await grantRole(server.db, `+${ADMIN_ONLY}`, 'admin', { actor: 'cli' });
    const admin = new Browser({ 'accept-language': 'fr' });
    const page = await consoleVisit(admin, '/admin/desk', ADMIN_ONLY, true);
    expect(page.status).toBe(403);
    expect(page.html).toContain('Votre compte n’a pas accès au guichet');
    const account = await findAccountByMsisdn(server.db, ADMIN_ONLY);
    const refused = await server.db('audit_events').where({ action: 'counter.desk.refused', actor: `account:${account!.id}` });
    expect(refused.length).toBeGreaterThan(0);
    const post = await admin.request(`${server.url}/admin/desk/open`, { form: { reference: qrContent } });
    expect(post.status).toBe(403);
    expect((await open(admin, '/admin/qors')).status, 'the admin console itself stays open').toBe(200);
  });

  it('records the document and approves; the code is then used up', async () => {
    const form = await open(alice, `/admin/desk/cases/${caseId}`);
    const csrf = hiddenInput(form.html, 'csrf');
    const action = `/admin/desk/cases/${caseId}/approve`;
    const doc = { csrf, ...CHECKED_ID_CARD };

    const noCsrf = await alice.request(`${server.url}${action}`, { form: { ...doc, csrf: '' } });
    expect(noCsrf.status).toBe(403);
    const expired = await open(alice, action, { ...doc, expiry_date: '2020-01-31' });
    expect(expired.status).toBe(400);
    expect(expired.html).toMatch(/data-field="expiry_date">This document has expired/);
    const unchecked = await open(alice, action, { ...doc, checked: '' });
    expect(unchecked.html).toMatch(/data-field="checked">Confirm that you checked/);

    const done = await open(alice, action, doc);
    expect(done.url.pathname).toBe('/admin/desk');
    expect(done.html).toContain('Approved. The person');

    const again = await deskOpen(alice, done, qrContent);
    expect(again.status).toBe(410);
    expect(again.html).toContain('This code has already been used');

    const actions = (await auditActions(caseId)).map((a) => a.action);
    expect(actions).toEqual(['counter.case.create', 'counter.case.open', 'counter.case.open_refused', 'counter.case.approve', 'counter.case.open_refused']);
    const trail = JSON.stringify(await auditActions(caseId));
    expect(trail).toContain('"reason":"locked"');
    expect(trail).toContain('"reason":"used"');
    expect(trail).not.toMatch(/C1234567|Anna|Muster|(?<![\w-])1985(?!\w)/);

    const closed = await new Browser().request(hrefOf(casePage.html, 'counter-document'));
    expect(closed.status).toBe(410);
    const closedHtml = await closed.text();
    expect(closedHtml).toContain('Your identity has been confirmed');
    expect(closedHtml).not.toContain('Muster');
  });

  it('lists the QoR in fulfilled_qors and arm_values from the next login', async () => {
    const next = new Browser({ 'accept-language': 'en' });
    const claimsParam = JSON.stringify({ id_token: { verified_claims: { verification: { trust_framework: null }, claims: { family_name: null } } } });
    const done = await rpLogin(next, USER, { acr_values: QOR_300, claims: claimsParam });
    expect(done.callback, 'no step-up page any more').toBeDefined();
    const claims = (await redeem(rp, done)).claims()! as unknown as Record<string, unknown> & { verified_claims: { verification: { evidence: unknown[] }; claims: Record<string, unknown> } };
    expect(claims.acr).toBe(QOR_300);
    expect(claims.fulfilled_qors).toEqual([QOR_100, QOR_300]);
    expect(claims.arm_values).toEqual([QOR_300]);
    expect(claims.verified_claims.verification.evidence).toEqual([expect.objectContaining({ type: 'document', method: 'manual-counter' })]);
    expect(claims.verified_claims.claims).toEqual({ family_name: 'Muster-Zürcher' });
  });

  it('refuses an expired code, and lets the user start over', async () => {
    const late = new Browser({ 'accept-language': 'en' });
    const page = await rpLogin(late, LATE_USER, { acr_values: QOR_300 });
    const created = await submitIdentity(late, await chooseCounter(late, page), { ...identity, given_names: 'Beat' });
    const token = new URL(decodeQrSvg(created.html)).searchParams.get('t')!;
    const lateCase = decodeJwt(token).sub!;
    const code = counterCode(created);

    const desk = await open(bob, '/admin/desk');
    const typed = await deskOpen(bob, desk, code);
    expect(typed.url.pathname, 'the typed code opens the case').toBe(`/admin/desk/cases/${lateCase}`);
    const released = await open(bob, `/admin/desk/cases/${lateCase}/release`, { csrf: hiddenInput(typed.html, 'csrf') });
    expect(released.html).toContain('The case was given back');

    await server.db('manual_cases').where({ id: lateCase }).update({ expires_at: new Date(Date.now() - 1000) });
    const byQr = await deskOpen(bob, released, `${server.url}/admin/desk/scan?t=${token}`);
    expect(byQr.status).toBe(410);
    expect(byQr.html).toContain('This counter document has expired');
    const byCode = await deskOpen(bob, released, code);
    expect(byCode.status).toBe(410);

    const document = await new Browser().request(hrefOf(created.html, 'counter-document'));
    expect(document.status).toBe(410);
    expect(await document.text()).toContain('The document expired before it was used');
    expect((await auditActions(lateCase)).map((a) => a.action)).toEqual([
      'counter.case.create',
      'counter.case.open',
      'counter.case.release',
      'counter.case.expire',
      'counter.case.open_refused',
      'counter.case.open_refused',
    ]);

    const restart = await chooseCounter(late, await open(late, page.url.href));
    expect(restart.url.pathname).toMatch(/\/counter$/);
    expect(restart.html).toContain('Your last counter document expired before it was used');
  });

  it('lets the user withdraw an open case', async () => {
    const late = new Browser({ 'accept-language': 'en' });
    const page = await rpLogin(late, LATE_USER, { acr_values: QOR_300 });
    const created = await submitIdentity(late, await chooseCounter(late, page), { ...identity, given_names: 'Beat' });
    const cancel = await open(late, new URL(formAction(created.html, '/counter/cancel'), created.url).href, { csrf: hiddenInput(created.html, 'csrf') });
    expect(cancel.url.pathname).toBe(page.url.pathname);
    expect(cancel.html).toContain('Your request for an identification at a counter was withdrawn');
    expect(cancel.html).not.toContain('In progress');
    const code = counterCode(created);
    const refused = await deskOpen(bob, await open(bob, '/admin/desk'), code);
    expect(refused.status).toBe(410);
    expect(refused.html).toContain('The person withdrew this request');
  });
});

describe('a QoR table with only steps 1, 4 and 5', () => {
  let only: RunningServer;
  let onlyCleanup: () => Promise<void>;
  let policyDir: string;

  beforeAll(async () => {
    policyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scl-counter-'));
    fs.cpSync(path.resolve('policies'), policyDir, { recursive: true });
    const file = path.join(policyDir, 'qor.json');
    const policy = JSON.parse(fs.readFileSync(file, 'utf8')) as { qualityOfRegistration: { systemName: string; steps: number }[] };
    const steps: Record<string, number> = { 'urn:servicecore:qor:100': 1, 'urn:servicecore:qor:300': 4, 'urn:servicecore:qor:400': 5 };
    for (const row of policy.qualityOfRegistration) row.steps = steps[row.systemName]!;
    fs.writeFileSync(file, JSON.stringify(policy));
    ({ server: only, cleanup: onlyCleanup } = await startSandboxServer({ env: { POLICY_DIR: policyDir, MOBILEID_POLL_INTERVAL_MS: '500' } }));
  });
  afterAll(async () => {
    await only?.close();
    await onlyCleanup?.();
    fs.rmSync(policyDir, { recursive: true, force: true });
  });

  it('never offers the counter, and refuses to start it', async () => {
    const steps = (await only.db('servicecorelogin_quality_of_registration').select('steps')).map((r: { steps: number }) => r.steps).sort();
    expect(steps).toEqual([1, 4, 5]);
    const onlyRp = await createRp(only);
    const browser = new Browser({ 'accept-language': 'en' });
    const waiting = await submitPhone(only, browser, await onlyRp.begin(browser, { acr_values: QOR_300 }), `+${USER}`);
    const stepUp = await waitForResult(only, browser, waiting);
    expect(stepUp.html).toContain('Your identity needs to be verified');
    expect(stepUp.html).not.toContain('manual-counter');
    expect(stepUp.html).not.toContain('At a counter, in person');
    expect(stepUp.html).not.toContain('identification in person at a counter');

    const start = await browser.request(new URL(`${stepUp.url.pathname}/start`, only.url), { form: { csrf: hiddenInput(stepUp.html, 'csrf'), method: 'manual-counter' } });
    expect(start.status).toBe(400);
    const form = await browser.follow(new URL(`${stepUp.url.pathname}/counter?offer=forged`, only.url), only.url);
    expect(form.url.pathname).toBe(stepUp.url.pathname);
    expect(await form.res.text()).toContain('Identification at a counter is not available for this request.');
    expect(Number(((await only.db('manual_cases').count({ n: '*' }).first()) as { n: string | number }).n)).toBe(0);
  });
});
