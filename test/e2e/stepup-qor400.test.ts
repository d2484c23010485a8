/**
 * QoR 400 (AutoOrManualAndAhv) end to end with the real methods only, as a relying party sees it:
 * Mobile ID → the step-up page with both parts → the counter (document, QR code, a verifier at the
 * desk) or Freja eID (its app page in the simulator) → the AHV register check of the person the
 * first part proved → id_token with the QoR in acr, fulfilled_qors and arm_values.
 * An AHV check made first, for another person than the one proven later, does not count: the AHV
 * part is offered again and the token does not list the QoR. A table with only steps 1, 4 and 5
 * offers the online methods and the AHV check for AutoAndAhv, never the counter.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { grantRole } from '../../src/admin/index.js';
import type { RunningServer } from '../../src/server.js';
import { Browser } from '../helpers/browser.js';
import { approveAtDesk, chooseCounter, counterCode, deskOpen, submitCounterIdentity } from '../helpers/counter.js';
import { chooseFreja, inFrejaApp, submitFrejaIdentity, waitForFreja } from '../helpers/freja.js';
import { consoleVisit } from '../helpers/pages.js';
import { decodeQrSvg } from '../helpers/qr.js';
import { createRp, redeem, type Attempt, type Rp } from '../helpers/rp.js';
import { startSandboxServer } from '../helpers/server.js';
import { chooseMethod, rpLogin, submitForm } from '../helpers/stepup.js';

const QOR_100 = 'urn:servicecore:qor:100';
const QOR_300 = 'urn:servicecore:qor:300';
const QOR_400 = 'urn:servicecore:qor:400';

/** Test persons of the UPI simulator's register (src/simulators/upi/README.md). */
const REGISTER = {
  anna: { number: '756.1234.5678.97', given_names: 'Anna', family_name: 'Muster', birth_date: '1985-03-14' },
  juerg: { number: '756.9217.0769.85', given_names: 'Jürg Peter', family_name: 'Müller', birth_date: '1970-07-01' },
  maria: { number: '756.3333.3333.35', given_names: 'Maria', family_name: 'Rossi', birth_date: '1990-12-24' },
};

const ENV = { MOBILEID_POLL_INTERVAL_MS: '500', FREJA_POLL_INTERVAL_MS: '1000' };

/** The done list of the step-up page ("Already done"). */
const doneItems = (html: string) => [...(/<ul class="done">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '').matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);

/** The user confirms in the Freja eID app as `person` after entering the same identity on our form. */
async function frejaAs(server: RunningServer, browser: Browser, stepUp: Attempt, person: { given_names: string; family_name: string; birth_date: string }): Promise<Attempt> {
  const form = await chooseFreja(server, browser, stepUp);
  const wait = await submitFrejaIdentity(server, browser, form, { given_names: person.given_names, family_name: person.family_name, birth_date: person.birth_date });
  expect(wait.html).toContain('Confirm in the Freja eID app');
  await inFrejaApp(wait, 'approve', { givenNames: person.given_names, surname: person.family_name, dateOfBirth: person.birth_date });
  return waitForFreja(server, browser, wait);
}

function expectQor400(claims: Record<string, unknown>) {
  expect(claims.acr).toBe(QOR_400);
  expect(claims.fulfilled_qors).toEqual([QOR_100, QOR_300, QOR_400]);
  expect(claims.arm_values).toEqual([QOR_400]);
}

describe('QoR 400 with the default policy', () => {
  let server: RunningServer;
  let cleanup: () => Promise<void>;
  let rp: Rp;

  beforeAll(async () => {
    ({ server, cleanup } = await startSandboxServer({ env: ENV }));
    rp = await createRp(server);
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  const ahvChecks = async (msisdn: string) =>
    (await server.db('verifications').whereIn('account_id', server.db('accounts').select('id').where({ msisdn })).where({ method: 'ahv-upi' }).orderBy('created_at')) as {
      status: string;
      evidence: Record<string, unknown>;
    }[];

  it('counter, a verifier approves, then at the next login the AHV check → QoR 400', async () => {
    const USER = '41700092501';
    const VERIFIER = '41700092502';
    const user = new Browser({ 'accept-language': 'en' });

    const stepUp = await rpLogin(server, rp, user, USER, { acr_values: QOR_400 });
    expect(stepUp.callback).toBeUndefined();
    expect(stepUp.html).toContain('Your identity needs to be verified');
    expect(stepUp.html).toContain('online identification / identification in person at a counter');
    expect(stepUp.html).toContain('check of your AHV number');
    for (const method of ['srs-video', 'srs-bank', 'freja-eid', 'manual-counter', 'ahv-upi']) expect(stepUp.html).toContain(`value="${method}"`);

    const form = await chooseCounter(server, user, stepUp);
    expect(form.url.pathname).toMatch(/\/stepup\/[^/]+\/counter$/);
    const person = REGISTER.juerg;
    const casePage = await submitCounterIdentity(server, user, form, { given_names: person.given_names, family_name: person.family_name, birth_date: person.birth_date, nationality: 'CH' });
    expect(casePage.url.pathname).toMatch(/\/counter\/case$/);
    expect(casePage.html).toMatch(/data-state="open"/);
    const caseId = decodeJwt(new URL(decodeQrSvg(casePage.html)).searchParams.get('t')!).sub!;

    // The verifier, granted the role from the command line, opens the case by its code at the desk.
    await grantRole(server.db, `+${VERIFIER}`, 'verifier', { actor: 'cli' });
    const verifier = new Browser({ 'accept-language': 'en' });
    const desk = await consoleVisit(server, verifier, '/admin/desk', VERIFIER, false);
    expect(desk.url.pathname).toBe('/admin/desk');
    const opened = await deskOpen(server, verifier, desk, counterCode(casePage));
    expect(opened.url.pathname).toBe(`/admin/desk/cases/${caseId}`);
    expect(opened.html).toContain('Jürg Peter');
    expect(opened.html).toContain('01.07.1970');
    const approved = await approveAtDesk(server, verifier, opened);
    expect(approved.url.pathname).toBe('/admin/desk');
    expect(approved.html).toContain('Approved. The person');

    // The next login: the counter counts now, only the AHV part remains.
    const again = new Browser({ 'accept-language': 'en' });
    const second = await rpLogin(server, rp, again, USER, { acr_values: QOR_400 });
    expect(second.callback, 'the AHV part remains').toBeUndefined();
    expect(doneItems(second.html)).toEqual(['Logged in with Mobile ID', 'Identity verified']);
    expect(second.html).toContain('value="ahv-upi"');
    for (const method of ['srs-video', 'srs-bank', 'freja-eid', 'manual-counter']) expect(second.html).not.toContain(`value="${method}"`);
    expect(second.html).not.toContain('id="stepup-other-person"');

    const ahvForm = await chooseMethod(server, again, second, 'ahv-upi');
    expect(ahvForm.url.pathname).toMatch(/\/stepup\/[^/]+\/ahv$/);
    expect(ahvForm.html).toContain('The number is checked against the identity you have already proven');
    expect(ahvForm.html).toContain('<dd>Jürg Peter</dd>');
    expect(ahvForm.html).toContain('<dd>Müller</dd>');
    expect(ahvForm.html).not.toContain('name="given_names"');
    const done = await submitForm(server, again, ahvForm, '/ahv', { ahv_number: person.number });
    expect(done.callback, `still at ${done.url.pathname}`).toBeDefined();
    expectQor400((await redeem(rp, done)).claims()!);

    const [check] = await ahvChecks(USER);
    expect(check).toMatchObject({ status: 'approved', evidence: expect.objectContaining({ identity_source: 'verification', source_method: 'manual-counter' }) });
  });

  it('Freja eID, then the AHV check in the same login → QoR 400', async () => {
    const USER = '41791280002';
    const browser = new Browser({ 'accept-language': 'en' });
    const stepUp = await rpLogin(server, rp, browser, USER, { acr_values: QOR_400 });
    expect(stepUp.html).toContain('value="freja-eid"');
    expect(stepUp.html).toContain('value="ahv-upi"');

    const person = REGISTER.anna;
    const back = await frejaAs(server, browser, stepUp, person);
    expect(back.callback, 'the AHV part remains').toBeUndefined();
    expect(back.url.pathname).toMatch(/\/stepup\/[^/]+$/);
    expect(doneItems(back.html)).toEqual(['Logged in with Mobile ID', 'Identity verified']);
    expect(back.html).toContain('value="ahv-upi"');
    expect(back.html).not.toContain('value="freja-eid"');

    const ahvForm = await chooseMethod(server, browser, back, 'ahv-upi');
    expect(ahvForm.html).toContain('<dd>Anna</dd>');
    expect(ahvForm.html).toContain('<dd>1985-03-14</dd>');
    const done = await submitForm(server, browser, ahvForm, '/ahv', { ahv_number: person.number });
    expect(done.callback, `still at ${done.url.pathname}`).toBeDefined();
    const claims = (await redeem(rp, done)).claims()!;
    expectQor400(claims);
    const [check] = await ahvChecks(USER);
    expect(check?.evidence).toMatchObject({ identity_source: 'verification', source_method: 'freja-eid' });
  });

  it('does not count an AHV check made first for another person than Freja eID proves afterwards', async () => {
    const USER = '41791280003';
    // A service allowed the AHV number: it must never receive the number of another person.
    const pensionFund = await createRp(server, { client_name: 'Pension Fund', ahv_claim_allowed: true });
    const params = { acr_values: QOR_400, scope: 'openid profile ahv' };
    const userinfo = async (token: string) => (await (await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
    const browser = new Browser({ 'accept-language': 'en' });
    const stepUp = await rpLogin(server, pensionFund, browser, USER, params);

    // The AHV check first, with details the user types (Jürg Müller's number and names).
    const typed = REGISTER.juerg;
    const ahvForm = await chooseMethod(server, browser, stepUp, 'ahv-upi');
    expect(ahvForm.html).toContain('name="given_names"');
    const afterAhv = await submitForm(server, browser, ahvForm, '/ahv', { ahv_number: typed.number, given_names: typed.given_names, family_name: typed.family_name, birth_date: typed.birth_date });
    expect(afterAhv.html).toMatch(/<p class="notice" role="status">Your AHV number has been confirmed\.<\/p>/);
    expect(afterAhv.html).not.toContain('value="ahv-upi"');
    expect(afterAhv.html).toContain('value="freja-eid"');

    // Freja eID then proves Anna Muster: the AHV check does not count, its part is offered again.
    const afterFreja = await frejaAs(server, browser, afterAhv, REGISTER.anna);
    expect(afterFreja.callback, 'no QoR 400 with two different people').toBeUndefined();
    expect(afterFreja.url.pathname).toMatch(/\/stepup\/[^/]+$/);
    expect(doneItems(afterFreja.html)).toEqual(['Logged in with Mobile ID', 'Identity verified']);
    expect(afterFreja.html).toContain('value="ahv-upi"');
    expect(afterFreja.html).not.toContain('value="freja-eid"');
    expect(afterFreja.html).toContain('<p class="hint" id="stepup-other-person">Your earlier AHV number check does not match the identity you have verified');

    // Leaving now (the request was voluntary): the token lists only what counts.
    const left = await submitForm(server, browser, afterFreja, '/continue', {});
    const partialTokens = await redeem(pensionFund, left);
    const partial = partialTokens.claims()!;
    expect(partial.acr).not.toBe(QOR_400);
    expect(partial.fulfilled_qors).toEqual([QOR_100, QOR_300]);
    expect(partial.arm_values).toEqual([]);
    const partialInfo = await userinfo(partialTokens.access_token);
    expect(partialInfo.given_name).toBe('Anna');
    expect(partialInfo.ahv_number, "Jürg's number next to Anna's identity").toBeUndefined();

    // At the next login the AHV check is offered again, for the proven person, and then counts.
    const next = new Browser({ 'accept-language': 'en' });
    const second = await rpLogin(server, pensionFund, next, USER, params);
    expect(second.callback).toBeUndefined();
    expect(second.html).toContain('id="stepup-other-person"');
    const retry = await chooseMethod(server, next, second, 'ahv-upi');
    expect(retry.html).toContain('<dd>Anna</dd>');
    expect(retry.html).not.toContain('name="given_names"');
    const done = await submitForm(server, next, retry, '/ahv', { ahv_number: REGISTER.anna.number });
    expect(done.callback, `still at ${done.url.pathname}`).toBeDefined();
    const tokens = await redeem(pensionFund, done);
    expectQor400(tokens.claims()!);
    expect((await userinfo(tokens.access_token)).ahv_number).toBe(REGISTER.anna.number);
    expect((await ahvChecks(USER)).map((c) => c.evidence.identity_source)).toEqual(['entered', 'verification']);
  });
});

describe('a QoR table with only steps 1, 4 and 5', () => {
  let server: RunningServer;
  let cleanup: () => Promise<void>;
  let policyDir: string;

  beforeAll(async () => {
    policyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scl-qor400-'));
    fs.cpSync(path.resolve('policies'), policyDir, { recursive: true });
    const file = path.join(policyDir, 'qor.json');
    const policy = JSON.parse(fs.readFileSync(file, 'utf8')) as { qualityOfRegistration: { systemName: string; steps: number }[] };
    const steps: Record<string, number> = { [QOR_100]: 1, [QOR_300]: 4, [QOR_400]: 5 };
    for (const row of policy.qualityOfRegistration) row.steps = steps[row.systemName]!;
    fs.writeFileSync(file, JSON.stringify(policy));
    ({ server, cleanup } = await startSandboxServer({ env: { ...ENV, POLICY_DIR: policyDir } }));
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
    fs.rmSync(policyDir, { recursive: true, force: true });
  });

  it('offers the online methods and the AHV check for AutoAndAhv, never the counter, and issues the QoR', async () => {
    const stored = (await server.db('servicecorelogin_quality_of_registration').select('system_name', 'steps')) as { system_name: string; steps: number }[];
    expect(Object.fromEntries(stored.map((r) => [r.system_name, r.steps]))).toEqual({ [QOR_100]: 1, [QOR_300]: 4, [QOR_400]: 5 });
    const rp = await createRp(server);
    const browser = new Browser({ 'accept-language': 'en' });
    const stepUp = await rpLogin(server, rp, browser, '41791280005', { acr_values: QOR_400 });
    expect(stepUp.callback).toBeUndefined();
    expect(stepUp.html).toContain('<p>Choose one: online identification</p>');
    expect(stepUp.html).toContain('check of your AHV number');
    for (const method of ['srs-video', 'srs-bank', 'freja-eid', 'ahv-upi']) expect(stepUp.html).toContain(`value="${method}"`);
    expect(stepUp.html).not.toContain('manual-counter');
    expect(stepUp.html).not.toContain('At a counter, in person');
    expect(stepUp.html).not.toContain('identification in person at a counter');

    const person = REGISTER.maria;
    const back = await frejaAs(server, browser, stepUp, person);
    expect(back.callback, 'the AHV part remains').toBeUndefined();
    expect(back.html).toContain('value="ahv-upi"');
    expect(back.html).not.toContain('manual-counter');
    const ahvForm = await chooseMethod(server, browser, back, 'ahv-upi');
    expect(ahvForm.html).toContain('<dd>Rossi</dd>');
    const done = await submitForm(server, browser, ahvForm, '/ahv', { ahv_number: person.number });
    expect(done.callback, `still at ${done.url.pathname}`).toBeDefined();
    expectQor400((await redeem(rp, done)).claims()!);
  });
});
