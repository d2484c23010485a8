/**
 * Step-up with Freja eID, end to end: a relying party asks for QoR 300 → Mobile ID → step-up page
 * → Freja eID (the product talks to the simulator's REST API over HTTP; the test plays the person
 * on the simulator's approve / decline page) → id_token with the QoR. Cancellations, failures and
 * outages leave the user at the step-up page (or the form) with the reason, and nothing is lost.
 */
import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server.js';
import { Browser, formAction, hiddenInput } from '../helpers/browser.js';
import { migratedDb } from '../helpers/db.js';
import { chooseFreja as chooseFrejaOn, frejaAppLink, inFrejaApp, submitFrejaIdentity, waitForFreja } from '../helpers/freja.js';
import { createRp, phone, redeem, submitPhone, waitForResult, type Attempt, type Rp } from '../helpers/rp.js';
import { freePort, startSandboxServer, startTestServer } from '../helpers/server.js';

const QOR_100 = 'urn:servicecore:qor:100';
const QOR_300 = 'urn:servicecore:qor:300';
const VECTORS = new URL('../../../shared/vectors/freja/', import.meta.url);

let server: RunningServer;
let cleanup: () => Promise<void>;
let rp: Rp;

beforeAll(async () => {
  ({ server, cleanup } = await startSandboxServer({
    env: { MOBILEID_POLL_INTERVAL_MS: '500', FREJA_POLL_INTERVAL_MS: '1000', FREJA_TIMEOUT_MS: '1000' },
  }));
  rp = await createRp(server);
});
afterAll(async () => {
  await server.close();
  await cleanup();
});

async function mobileIdLogin(browser: Browser, msisdn: string, params: Record<string, string>, srv = server, which = rp): Promise<Attempt> {
  const waiting = await submitPhone(srv, browser, await which.begin(browser, params), `+${msisdn}`);
  await phone(srv).approve(msisdn);
  return waitForResult(srv, browser, waiting);
}

const chooseFreja = (browser: Browser, stepUp: Attempt, srv = server) => chooseFrejaOn(srv, browser, stepUp);

const ANNA = { given_names: 'Anna', family_name: 'Muster', birth_date: '1985-04-12' };

const submitIdentity = (browser: Browser, form: Attempt, identity: Record<string, string> = ANNA, srv = server) => submitFrejaIdentity(srv, browser, form, identity);
const waitUntilDone = (browser: Browser, wait: Attempt, srv = server, timeoutMs = 15_000) => waitForFreja(srv, browser, wait, timeoutMs);

async function authRefOf(wait: Attempt): Promise<string> {
  return frejaAppLink(wait).searchParams.get('transactionReference')!;
}

async function control(path: string, body: Record<string, unknown>, srv = server): Promise<void> {
  const res = await fetch(`${srv.sandbox!.frejaUrl}/app/api/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`freja control ${path}: HTTP ${res.status} ${await res.text()}`);
}

async function statusOf(browser: Browser, wait: Attempt): Promise<{ state: string; frejaStatus: string | null; text: string; problem: string | null }> {
  const res = await browser.request(new URL(`${wait.url.pathname}/status`, wait.url));
  return (await res.json()) as { state: string; frejaStatus: string | null; text: string; problem: string | null };
}

describe('Freja eID step-up', () => {
  it('verifies the identity and issues the QoR in acr, fulfilled_qors and arm_values', async () => {
    const browser = new Browser({ 'accept-language': 'en' });
    const stepUp = await mobileIdLogin(browser, '41791250001', { acr_values: QOR_300 });
    expect(stepUp.html).toContain('Your identity needs to be verified');
    const form = await chooseFreja(browser, stepUp);
    expect(form.url.pathname).toMatch(/\/stepup\/[^/]+\/freja$/);
    expect(form.html).toContain('Verify your identity with Freja eID');
    expect(form.html).toContain('name="given_names"');

    const wait = await submitIdentity(browser, form);
    expect(wait.url.pathname).toMatch(/\/freja\/[0-9a-f-]{36}$/);
    expect(wait.html).toContain('Confirm in the Freja eID app');
    expect(wait.html).toMatch(/<img id="freja-qr" src="data:image\/png;base64,/);
    expect((await statusOf(browser, wait)).state).toBe('pending');

    await inFrejaApp(wait, 'approve');
    const done = await waitUntilDone(browser, wait);
    expect(done.callback, `still at ${done.url.pathname}`).toBeDefined();
    const claims = (await redeem(rp, done)).claims()!;
    expect(claims.acr).toBe(QOR_300);
    expect(claims.fulfilled_qors).toEqual(expect.arrayContaining([QOR_100, QOR_300]));
    expect(claims.arm_values).toEqual([QOR_300]);

    const [verification] = (await server.db('verifications').where({ method: 'freja-eid', account_id: claims.sub })) as { evidence: Record<string, unknown>; bound_serial: string; provider_reference: string; kind: string }[];
    expect(verification).toBeDefined();
    expect(verification!.kind).toBe('auto');
    expect(verification!.provider_reference).toBe(await authRefOf(wait));
    expect(verification!.evidence).toMatchObject({ given_name: 'Anna Maria', family_name: 'Muster', birthdate: '1985-04-12', registration_level: 'EXTENDED', evidence_type: 'electronic_record' });
    const audit = await server.db('audit_events').where({ action: 'verification.freja-eid.approved', subject: `account:${claims.sub}` });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0])).not.toContain('Muster');
  });

  it('shows that the app has the request while the person confirms', async () => {
    const browser = new Browser();
    const wait = await submitIdentity(browser, await chooseFreja(browser, await mobileIdLogin(browser, '41791250002', { acr_values: QOR_300 })));
    const app = new Browser();
    await app.request(frejaAppLink(wait)); // scanning the code delivers the request to the app
    await new Promise((r) => setTimeout(r, 1100));
    const status = await statusOf(browser, wait);
    expect(status).toMatchObject({ state: 'pending', frejaStatus: 'DELIVERED_TO_MOBILE', text: 'The request is in your Freja eID app: please confirm it there.' });
  });

  it('sends the user back to the step-up page when they decline in the app', async () => {
    const browser = new Browser();
    const wait = await submitIdentity(browser, await chooseFreja(browser, await mobileIdLogin(browser, '41791250003', { acr_values: QOR_300 })));
    expect(await inFrejaApp(wait, 'decline')).toContain('Declined.');
    const back = await waitUntilDone(browser, wait);
    expect(back.callback).toBeUndefined();
    expect(back.html).toContain('Your identity needs to be verified');
    expect(back.html).toMatch(/<p class="error" role="alert">You declined the request in the Freja eID app\./);
    expect(back.html).toContain('value="freja-eid"');
  });

  it('lets the user cancel on the waiting page', async () => {
    const browser = new Browser();
    const wait = await submitIdentity(browser, await chooseFreja(browser, await mobileIdLogin(browser, '41791250004', { acr_values: QOR_300 })));
    const action = new URL(formAction(wait.html, '/cancel'), wait.url);
    const r = await browser.follow(action, server.url, { form: { csrf: hiddenInput(wait.html, 'csrf') } });
    const html = await r.res.text();
    expect(html).toMatch(/<p class="notice" role="status">You cancelled the Freja eID verification\./);
    const pending = (await (await fetch(`${server.sandbox!.frejaUrl}/app/api/pending`)).json()) as { pending: { authRef: string }[] };
    expect(pending.pending.map((p) => p.authRef)).not.toContain(await authRefOf(wait));
  });

  it('speaks the user’s language on every page', async () => {
    const browser = new Browser({ 'accept-language': 'de' });
    const form = await chooseFreja(browser, await mobileIdLogin(browser, '41791250014', { acr_values: QOR_300 }));
    expect(form.html).toContain('Identität mit Freja eID bestätigen');
    const wait = await submitIdentity(browser, form);
    expect(wait.html).toContain('In der Freja eID App bestätigen');
    expect(wait.html).toContain('Freja eID öffnen');
    const action = new URL(formAction(wait.html, '/cancel'), wait.url);
    const r = await browser.follow(action, server.url, { form: { csrf: hiddenInput(wait.html, 'csrf') } });
    expect(await r.res.text()).toContain('Sie haben die Verifizierung mit Freja eID abgebrochen.');
  });

  it.each([
    ['expire', /The Freja eID request expired before it was confirmed/],
    ['reject', /Freja eID refused the request, for example because another identification was running/],
  ])('explains a request that ends with %s', async (action, message) => {
    const browser = new Browser();
    const msisdn = action === 'expire' ? '41791250005' : '41791250006';
    const wait = await submitIdentity(browser, await chooseFreja(browser, await mobileIdLogin(browser, msisdn, { acr_values: QOR_300 })));
    await control(action, { authRef: await authRefOf(wait) });
    const back = await waitUntilDone(browser, wait);
    expect(back.html).toMatch(message);
    expect(back.html).toContain('value="freja-eid"');
  });

  it('fails when the identity in Freja eID is not the one the user entered', async () => {
    const browser = new Browser();
    const wait = await submitIdentity(browser, await chooseFreja(browser, await mobileIdLogin(browser, '41791250007', { acr_values: QOR_300 })));
    await inFrejaApp(wait, 'approve', { surname: 'Meier' });
    const back = await waitUntilDone(browser, wait);
    expect(back.callback).toBeUndefined();
    expect(back.html).toMatch(/<p class="error" role="alert">The name in your Freja eID does not match the details you entered\./);
    const account = (await server.db('accounts').whereLike('msisdn', '%791250007').first()) as { id: string } | undefined;
    expect(account).toBeDefined();
    expect(await server.db('verifications').where({ account_id: account!.id })).toHaveLength(0);
  });

  it('accepts a name written differently (umlauts, case) and fewer given names', async () => {
    const browser = new Browser();
    const form = await chooseFreja(browser, await mobileIdLogin(browser, '41791250008', { acr_values: QOR_300 }));
    const wait = await submitIdentity(browser, form, { given_names: 'jürg', family_name: 'MUELLER', birth_date: '1970-01-31' });
    await inFrejaApp(wait, 'approve', { givenNames: 'Jürg Peter', surname: 'Müller', dateOfBirth: '1970-01-31', registrationLevel: 'PLUS' });
    const done = await waitUntilDone(browser, wait);
    expect((await redeem(rp, done)).claims()!.acr).toBe(QOR_300);
  });

  it('keeps the form and says so when Freja answers the start with an error code', async () => {
    const browser = new Browser();
    const form = await chooseFreja(browser, await mobileIdLogin(browser, '41791250009', { acr_values: QOR_300 }));
    await control('faults', { operation: 'initAuthentication', httpStatus: 422, code: 2000 });
    const refused = await submitIdentity(browser, form);
    expect(refused.status).toBe(422);
    expect(refused.html).toContain('Freja eID refused the request for security reasons');
    expect(refused.html).toContain('value="Muster"');
  });

  it.each([
    ['an HTTP 500', { httpStatus: 500 }],
    ['a timeout', { delayMs: 1800 }],
  ])('survives %s when starting: a clear message, the details kept, and a retry that works', async (_name, fault) => {
    const browser = new Browser();
    const msisdn = 'httpStatus' in fault ? '41791250010' : '41791250011';
    const form = await chooseFreja(browser, await mobileIdLogin(browser, msisdn, { acr_values: QOR_300 }));
    await control('faults', { operation: 'initAuthentication', times: 1, ...fault });
    const failed = await submitIdentity(browser, form);
    expect(failed.status).toBe(503);
    expect(failed.html).toContain('Freja eID cannot be reached at the moment. Nothing is lost');
    expect(failed.html).toContain('value="Anna"');
    expect(failed.html).toContain('value="1985-04-12"');

    const wait = await submitIdentity(browser, failed);
    await inFrejaApp(wait, 'approve');
    const done = await waitUntilDone(browser, wait);
    expect((await redeem(rp, done)).claims()!.arm_values).toEqual([QOR_300]);
  });

  it('keeps waiting through an outage while polling, and finishes when Freja is back', async () => {
    const browser = new Browser();
    const wait = await submitIdentity(browser, await chooseFreja(browser, await mobileIdLogin(browser, '41791250012', { acr_values: QOR_300 })));
    await control('faults', { operation: 'getOneResult', httpStatus: 503, times: 2 });
    await new Promise((r) => setTimeout(r, 1100));
    const during = await statusOf(browser, wait);
    expect(during.state).toBe('pending');
    expect(during.problem).toContain('Freja eID cannot be reached at the moment. We keep trying');
    await inFrejaApp(wait, 'approve');
    const done = await waitUntilDone(browser, wait);
    expect((await redeem(rp, done)).claims()!.acr).toBe(QOR_300);
  });

  it('asks Freja at most once per poll interval however often the browser asks', async () => {
    const browser = new Browser();
    const wait = await submitIdentity(browser, await chooseFreja(browser, await mobileIdLogin(browser, '41791250013', { acr_values: QOR_300 })));
    const id = wait.url.pathname.split('/').pop()!;
    await Promise.all(Array.from({ length: 12 }, () => statusOf(browser, wait)));
    await new Promise((r) => setTimeout(r, 1100));
    await Promise.all(Array.from({ length: 12 }, () => statusOf(browser, wait)));
    const row = (await server.db('freja_requests').where({ id }).first()) as { polls: number };
    expect(row.polls).toBeLessThanOrEqual(2);
  });
});

describe('Freja eID unreachable (connection refused)', () => {
  let down: RunningServer;
  let downCleanup: () => Promise<void>;
  let downRp: Rp;

  beforeAll(async () => {
    const t = await migratedDb();
    downCleanup = t.cleanup;
    const signing = path.join(new URL(VECTORS).pathname, 'certs/test-jws-Freja_eID_TEST_JWS_Signing-x5t-DiZbzBfysUm6-IwI-GtienEsbjc.pem');
    expect(fs.existsSync(signing)).toBe(true);
    down = await startTestServer({
      db: t.db,
      env: {
        SANDBOX: 'true',
        SIMULATOR_PORT: String(await freePort()),
        MOBILEID_POLL_INTERVAL_MS: '500',
        // Nothing listens on the discard port: connection refused.
        FREJA_URL: 'http://127.0.0.1:9',
        FREJA_SIGNING_CERT_FILES: signing,
        FREJA_CA_FILES: [path.join(new URL(VECTORS).pathname, 'certs/test-RSA_TEST_Issuing_CA.pem'), path.join(new URL(VECTORS).pathname, 'certs/test-RSA_Test_Root_CA.pem')].join(','),
        FREJA_TIMEOUT_MS: '1000',
      },
    });
    downRp = await createRp(down);
  });
  afterAll(async () => {
    await down.close();
    await downCleanup();
  });

  it('gives a clear message, keeps the details and the login', async () => {
    const browser = new Browser();
    const stepUp = await mobileIdLogin(browser, '41791250020', { acr_values: QOR_300 }, down, downRp);
    const form = await chooseFreja(browser, stepUp, down);
    const failed = await submitIdentity(browser, form, ANNA, down);
    expect(failed.status).toBe(503);
    expect(failed.html).toContain('Freja eID cannot be reached at the moment. Nothing is lost');
    expect(failed.html).toContain('value="Muster"');
    // The login is intact: back on the step-up page, the user can choose again or continue.
    const back = await browser.follow(new URL(/href="([^"]+)">Back to the choice of methods/.exec(failed.html)![1]!, failed.url), down.url);
    expect(await back.res.text()).toContain('Your identity needs to be verified');
  });
});
