/**
 * A relying party asks for QoR 400 (AutoOrManualAndAhv): the user logs in with Mobile ID, does the
 * online part (a test-only instant method standing in for SRS / Freja) and the AHV register check
 * against the UPI simulator, and the id_token says so. The AHV number is released only to a client
 * allowed to receive it that asks for it; a wrong number, a mismatch, or a register that fails
 * bring the user back to the step-up page with a clear message and nothing lost. A number that is
 * not confirmed gets one message whatever the reason: the precise outcome is only in the record.
 */
import fs from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Db } from '../../src/db/index.js';
import type { RunningServer } from '../../src/server.js';
import { Browser, formAction } from '../helpers/browser.js';
import { migratedDb } from '../helpers/db.js';
import { createRp, phone, redeem, submitPhone, waitForResult, type Attempt, type Rp } from '../helpers/rp.js';
import { freePort, startTestServer } from '../helpers/server.js';
import { chooseMethod, instantOnlineMethod, policyDirWith, submitForm } from '../helpers/stepup.js';

const QOR_100 = 'urn:servicecore:qor:100';
const QOR_300 = 'urn:servicecore:qor:300';
const QOR_400 = 'urn:servicecore:qor:400';

const ANNA = '756.1234.5678.97';
const JUERG = '756.9217.0769.85';
const PETER = '756.2222.2222.24';
const REPLACED = '756.0000.0000.02';
const FAULT = '756.0000.0000.95';
const SLOW = '756.0000.0001.01';
const CANCELLED = '756.9999.9999.91';
const UNKNOWN = '756.5555.5555.57';
const OTTO = '756.4444.4444.46';

const NOT_CONFIRMED = /<p class="error" role="alert">This AHV number could not be confirmed for the person being checked\. Please check the number \(your current AHV number is on your health insurance card\) and your details, and try again\.<\/p>/;

/** The outcome recorded for the account's most recent AHV check. */
async function lastOutcome(msisdn: string): Promise<{ status: string; evidence: Record<string, unknown> }> {
  const row = (await db('verifications')
    .whereIn('account_id', db('accounts').select('id').where({ msisdn }))
    .where({ method: 'ahv-upi' })
    .orderBy('created_at', 'desc')
    .first('status', 'evidence')) as { status: string; evidence: Record<string, unknown> | string };
  return { status: row.status, evidence: typeof row.evidence === 'string' ? (JSON.parse(row.evidence) as Record<string, unknown>) : row.evidence };
}

let server: RunningServer;
let db: Db;
let cleanup: () => Promise<void>;
let rp: Rp;
let policyDir: string;


async function start(env: Record<string, string> = {}): Promise<{ server: RunningServer; db: Db; cleanup(): Promise<void> }> {
  const t = await migratedDb();
  const s = await startTestServer({
    db: t.db,
    env: { SANDBOX: 'true', SIMULATOR_PORT: String(await freePort()), POLICY_DIR: policyDir, MOBILEID_POLL_INTERVAL_MS: '500', MOBILEID_RATE_LIMIT_PER_NUMBER: '20/600', UPI_TIMEOUT_MS: '1000', ...env },
    verificationMethods: [instantOnlineMethod(() => t.db, { given_name: 'Anna', family_name: 'Muster', birthdate: '1985-03-14' })],
  });
  return { server: s, db: t.db, cleanup: t.cleanup };
}

beforeAll(async () => {
  policyDir = policyDirWith('scl-stepup-ahv-', (policy) => {
    policy.verification.methods['test-online'] = 'auto';
  });
  ({ server, db, cleanup } = await start());
  rp = await createRp(server);
});
afterAll(async () => {
  await server.close();
  await cleanup();
  fs.rmSync(policyDir, { recursive: true, force: true });
});

async function mobileIdLogin(browser: Browser, msisdn: string, params: Record<string, string>, which = rp, on = server): Promise<Attempt> {
  const waiting = await submitPhone(on, browser, await which.begin(browser, params), `+${msisdn}`);
  await phone(on).approve(msisdn);
  return waitForResult(on, browser, waiting);
}

const choose = (browser: Browser, page: Attempt, method: string, on = server) => chooseMethod(on, browser, page, method);
const submitAhv = (browser: Browser, page: Attempt, form: Record<string, string>, on = server) => submitForm(on, browser, page, '/ahv', form);

const seen = (on = server) => on.sandbox!.upi.requests.length;

describe('step-up to QoR 400 with the AHV register check', () => {
  it('Mobile ID → both parts → online part → AHV form → register → id_token with QoR 400', async () => {
    const browser = new Browser({ 'accept-language': 'en' });
    const stepUp = await mobileIdLogin(browser, '41791250001', { acr_values: QOR_400 });
    expect(stepUp.html).toContain('Your identity needs to be verified');
    expect(stepUp.html).toContain('online identification');
    expect(stepUp.html).toContain('check of your AHV number');
    expect(stepUp.html).toContain('value="test-online"');
    expect(stepUp.html).toContain('value="ahv-upi"');

    const afterOnline = await choose(browser, stepUp, 'test-online');
    expect(afterOnline.callback, 'the AHV part remains').toBeUndefined();
    expect(afterOnline.html).toContain('Identity verified');
    expect(afterOnline.html).not.toContain('value="test-online"');
    expect(afterOnline.html).toContain('value="ahv-upi"');

    const form = await choose(browser, afterOnline, 'ahv-upi');
    expect(form.url.pathname).toMatch(/\/stepup\/[^/]+\/ahv$/);
    expect(form.html).toContain('Check your AHV number');
    expect(form.html).toContain('The number is checked against the identity you have already proven');
    expect(form.html).toContain('<dd>Anna</dd>');
    expect(form.html).toContain('<dd>1985-03-14</dd>');
    expect(form.html).not.toContain('name="given_names"');
    expect(form.html).toContain('<script src="/static/ahv-number.js" defer></script>');
    expect(form.html).not.toContain('role="alert"');

    const before = seen();
    const done = await submitAhv(browser, form, { ahv_number: ANNA });
    expect(seen()).toBe(before + 1);
    const claims = (await redeem(rp, done)).claims()!;
    expect(claims.acr).toBe(QOR_400);
    expect(claims.fulfilled_qors).toEqual([QOR_100, QOR_300, QOR_400]);
    expect(claims.arm_values).toEqual([QOR_400]);
    expect(claims.ahv_number).toBeUndefined();
  });

  it('releases the AHV number only to a client allowed to receive it that asks for it', async () => {
    const allowed = await createRp(server, { client_name: 'Pension Fund', ahv_claim_allowed: true });
    const asks = await mobileIdLogin(new Browser(), '41791250001', { acr_values: QOR_400, scope: 'openid ahv' }, allowed);
    const tokens = await redeem(allowed, asks);
    // Scope claims go to userinfo (the id_token carries them only when asked through `claims`).
    expect(tokens.claims()!.ahv_number).toBeUndefined();
    expect(tokens.scope?.split(' ')).toContain('ahv');
    const userinfo = (await (await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>;
    expect(userinfo.ahv_number).toBe(ANNA);

    const viaClaims = await mobileIdLogin(new Browser(), '41791250001', { acr_values: QOR_400, claims: JSON.stringify({ id_token: { ahv_number: null } }) }, allowed);
    expect((await redeem(allowed, viaClaims)).claims()!.ahv_number).toBe(ANNA);

    const doesNotAsk = await mobileIdLogin(new Browser(), '41791250001', { acr_values: QOR_400 }, allowed);
    expect((await redeem(allowed, doesNotAsk)).claims()!.ahv_number).toBeUndefined();

    const notAllowed = await mobileIdLogin(new Browser(), '41791250001', { acr_values: QOR_400, scope: 'openid ahv', claims: JSON.stringify({ id_token: { ahv_number: null }, userinfo: { ahv_number: null } }) });
    const refused = await redeem(rp, notAllowed);
    expect(refused.claims()!.ahv_number).toBeUndefined();
    const refusedInfo = (await (await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${refused.access_token}` } })).json()) as Record<string, unknown>;
    expect(refusedInfo.ahv_number).toBeUndefined();

    await expect(createRp(server, { ahv_claim_allowed: 'yes' })).rejects.toMatchObject({ error_description: expect.stringMatching(/ahv_claim_allowed/) });
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { scopes_supported: string[]; claims_supported: string[] };
    expect(discovery.scopes_supported).toContain('ahv');
    expect(discovery.claims_supported).toContain('ahv_number');
  });

  it('checks the details the user enters when nothing was proven yet, then the online part remains', async () => {
    const browser = new Browser({ 'accept-language': 'en' });
    const stepUp = await mobileIdLogin(browser, '41791250002', { acr_values: QOR_400 });
    const form = await choose(browser, stepUp, 'ahv-upi');
    expect(form.html).toContain('Enter your details as the AHV register knows them');
    expect(form.html).toContain('name="given_names"');
    const back = await submitAhv(browser, form, { ahv_number: JUERG.replace(/\./g, ''), given_names: 'Juerg', family_name: 'Mueller', birth_date: '1970-07-01' });
    expect(back.callback).toBeUndefined();
    expect(back.html).toMatch(/<p class="notice" role="status">Your AHV number has been confirmed\.<\/p>/);
    expect(back.html).toContain('value="test-online"');
    expect(back.html).not.toContain('value="ahv-upi"');
    const ahv = (await db('verifications').where({ method: 'ahv-upi', status: 'approved' }).orderBy('created_at', 'desc').first()) as { evidence: Record<string, unknown> | string };
    const evidence = typeof ahv.evidence === 'string' ? (JSON.parse(ahv.evidence) as Record<string, unknown>) : ahv.evidence;
    expect(evidence).toMatchObject({
      identity_source: 'entered',
      entered_fields: ['givenNames', 'familyName', 'birthDate'],
      ahv_number_masked: '756.****.****.85',
      checked: { given_names: 'Jürg Peter', family_name: 'Müller', birthdate: '1970-07-01' },
      source_identity: { given_names: 'Juerg', family_name: 'Mueller', birthdate: '1970-07-01' },
    });
    expect(JSON.stringify(evidence)).not.toContain('7569217076985');
  });

  it('refuses a wrong check digit or prefix on the page, in the user\'s language, sending nothing', async () => {
    const browser = new Browser({ 'accept-language': 'de' });
    const stepUp = await mobileIdLogin(browser, '41791250003', { acr_values: QOR_400 });
    const form = await choose(browser, stepUp, 'ahv-upi');
    const before = seen();
    const wrongDigit = await submitAhv(browser, form, { ahv_number: '756.1234.5678.98', given_names: 'Anna', family_name: 'Muster', birth_date: '1985-03-14' });
    expect(wrongDigit.status).toBe(400);
    expect(wrongDigit.html).toContain('role="alert">Das ist keine gültige AHV-Nummer: Die letzte Ziffer passt nicht.');
    expect(wrongDigit.html).toContain('value="Anna"');
    const wrongPrefix = await submitAhv(browser, wrongDigit, { ahv_number: '755.1234.5678.97', given_names: 'Anna', family_name: 'Muster', birth_date: '1985-03-14' });
    expect(wrongPrefix.html).toContain('role="alert">Eine Schweizer AHV-Nummer beginnt mit 756.');
    const missingName = await submitAhv(browser, wrongPrefix, { ahv_number: ANNA, given_names: '', family_name: 'Muster', birth_date: '1985-03-14' });
    expect(missingName.status).toBe(400);
    expect(missingName.html).toContain('aria-invalid="true"');
    expect(seen(), 'the register was not asked').toBe(before);

    const noCsrf = await browser.request(new URL(formAction(form.html, '/ahv'), form.url), { form: { ahv_number: ANNA } });
    expect(noCsrf.status).toBe(403);
    expect(seen()).toBe(before);
  });

  it('brings the user back to the step-up page for an inactive number and for mismatching names, keeping what was done', async () => {
    const browser = new Browser({ 'accept-language': 'en' });
    const stepUp = await mobileIdLogin(browser, '41791250004', { acr_values: QOR_400 });
    const afterOnline = await choose(browser, stepUp, 'test-online');

    const inactive = await submitAhv(browser, await choose(browser, afterOnline, 'ahv-upi'), { ahv_number: REPLACED });
    expect(inactive.url.pathname).toMatch(/\/stepup\/[^/]+$/);
    expect(inactive.html).toMatch(NOT_CONFIRMED);
    expect(inactive.html).toContain('Identity verified');
    expect(inactive.html).toContain('value="ahv-upi"');
    expect(await lastOutcome('41791250004')).toMatchObject({ status: 'rejected', evidence: { outcome: 'inactive' } });

    const mismatch = await submitAhv(browser, await choose(browser, inactive, 'ahv-upi'), { ahv_number: PETER });
    expect(mismatch.html).toMatch(NOT_CONFIRMED);
    expect(mismatch.html).not.toContain('Peter');
    expect(mismatch.html).toContain('Identity verified');
    expect(await lastOutcome('41791250004')).toMatchObject({ status: 'rejected', evidence: { outcome: 'mismatch', mismatches: ['givenNames', 'familyName', 'birthDate'] } });

    const done = await submitAhv(browser, await choose(browser, mismatch, 'ahv-upi'), { ahv_number: ANNA });
    expect((await redeem(rp, done)).claims()!.acr).toBe(QOR_400);
  });

  it('says the same for every number that is not confirmed, telling nothing about its holder; the record keeps the precise outcome', async () => {
    const browser = new Browser({ 'accept-language': 'en' });
    const msisdn = '41791250007';
    let page = await mobileIdLogin(browser, msisdn, { acr_values: QOR_400 });
    const cases: [string, Record<string, string>, string][] = [
      // Otto Beispiel has died: someone else typing his number learns nothing of it, not even in the record.
      [OTTO, { given_names: 'Anna', family_name: 'Muster', birth_date: '1985-03-14' }, 'mismatch'],
      [OTTO, { given_names: 'Otto', family_name: 'Beispiel', birth_date: '1931-02-02' }, 'deceased'],
      [CANCELLED, { given_names: 'Anna', family_name: 'Muster', birth_date: '1985-03-14' }, 'cancelled'],
      [UNKNOWN, { given_names: 'Anna', family_name: 'Muster', birth_date: '1985-03-14' }, 'not_found'],
      [REPLACED, { given_names: 'Anna', family_name: 'Muster', birth_date: '1985-03-14' }, 'inactive'],
    ];
    const pages: string[] = [];
    for (const [number, details, outcome] of cases) {
      page = await submitAhv(browser, await choose(browser, page, 'ahv-upi'), { ahv_number: number, ...details });
      expect(page.html).toMatch(NOT_CONFIRMED);
      expect(page.html).not.toMatch(/died|deceased|cancelled|no longer active|does not know|Beispiel/);
      const record = await lastOutcome(msisdn);
      expect(record).toMatchObject({ status: 'rejected', evidence: { outcome } });
      expect(record.evidence.checked).toBeUndefined();
      expect(JSON.stringify(record.evidence)).not.toContain('2020-11-30');
      pages.push(page.html.match(NOT_CONFIRMED)![0]);
    }
    expect(new Set(pages).size).toBe(1);
  });

  it('explains a SOAP fault and a timeout of the register on the step-up page, and lets the user try again', async () => {
    const browser = new Browser({ 'accept-language': 'en' });
    const stepUp = await choose(browser, await mobileIdLogin(browser, '41791250005', { acr_values: QOR_400 }), 'test-online');

    const fault = await submitAhv(browser, await choose(browser, stepUp, 'ahv-upi'), { ahv_number: FAULT });
    expect(fault.html).toMatch(/<p class="error" role="alert">The AHV register could not process the check\. Nothing is lost/);
    expect(fault.html).toContain('Identity verified');

    const started = Date.now();
    const slow = await submitAhv(browser, await choose(browser, fault, 'ahv-upi'), { ahv_number: SLOW });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(slow.html).toMatch(/<p class="error" role="alert">The AHV register did not answer in time\. Nothing is lost/);
    expect(await db('verifications').whereIn('account_id', db('accounts').select('id').where({ msisdn: '41791250005' })).where({ method: 'ahv-upi' })).toEqual([]);

    const done = await submitAhv(browser, await choose(browser, slow, 'ahv-upi'), { ahv_number: ANNA });
    expect((await redeem(rp, done)).claims()!.acr).toBe(QOR_400);
  });

  it('explains a register that cannot be reached (connection refused)', async () => {
    // Nothing listens on the discard port: connection refused.
    const down = await start({ UPI_URL: 'http://127.0.0.1:9/wupispid/ws/queryService/2' });
    try {
      const downRp = await createRp(down.server);
      const browser = new Browser({ 'accept-language': 'fr' });
      const stepUp = await mobileIdLogin(browser, '41791250006', { acr_values: QOR_400 }, downRp, down.server);
      const form = await choose(browser, stepUp, 'ahv-upi', down.server);
      const back = await submitAhv(browser, form, { ahv_number: ANNA, given_names: 'Anna', family_name: 'Muster', birth_date: '1985-03-14' }, down.server);
      expect(back.html).toMatch(/<p class="error" role="alert">Le registre AVS n’est pas joignable pour le moment\. Rien n’est perdu/);
      expect(back.html).toContain('value="ahv-upi"');
      expect(down.server.sandbox!.upi.requests).toEqual([]);
    } finally {
      await down.server.close();
      await down.cleanup();
    }
  });
});
