/**
 * Step-up through Swisscom SRS, end to end over real HTTP: an RP asks for QoR 300 → Mobile ID →
 * step-up page → "Video identification" → the user's details → the QR / link page → the
 * simulator's "Define Identity" form (the test plays the user there) → the simulator calls back
 * with a signed JWT (or the product polls) → id_token with what was proven.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listVerifications } from '../../src/verification/index.js';
import type { RunningServer } from '../../src/server.js';
import { Browser, hiddenInput } from '../helpers/browser.js';
import { createRp, phone, redeem, submitPhone, waitForResult, type Attempt, type Rp } from '../helpers/rp.js';
import { freePort, startSandboxServer } from '../helpers/server.js';

const QOR_100 = 'urn:servicecore:qor:100';
const QOR_300 = 'urn:servicecore:qor:300';

const ANNA = { given_names: 'Anna Maria', family_name: 'Müller', birth_date: '1985-02-28', nationality: 'CH' };

interface Running {
  server: RunningServer;
  rp: Rp;
}

async function mobileIdLogin(r: Running, browser: Browser, msisdn: string, params: Record<string, string>): Promise<Attempt> {
  const waiting = await submitPhone(r.server, browser, await r.rp.begin(browser, params), `+${msisdn}`);
  await phone(r.server).approve(msisdn);
  return waitForResult(r.server, browser, waiting);
}

async function go(r: Running, browser: Browser, page: Attempt, url: URL, form?: Record<string, string>): Promise<Attempt> {
  const res = await browser.follow(url, r.server.url, form ? { form } : {});
  return { ...page, url: res.url, status: res.res.status, html: res.left ? '' : await res.res.text(), ...(res.left ? { callback: res.left } : {}) };
}

function decode(html: string): string {
  return html.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"');
}

/** Step-up page → the method's button → the details form. */
async function chooseSrs(r: Running, browser: Browser, stepUp: Attempt, method: 'srs-video' | 'srs-bank'): Promise<Attempt> {
  expect(stepUp.html).toContain(`value="${method}"`);
  const action = /action="([^"]*\/start)"/.exec(stepUp.html)![1]!;
  return go(r, browser, stepUp, new URL(action, stepUp.url), { csrf: hiddenInput(stepUp.html, 'csrf'), method });
}

/** Submit the details form. */
async function submitDetails(r: Running, browser: Browser, form: Attempt, details: Record<string, string> = ANNA): Promise<Attempt> {
  const action = /<form method="post" action="([^"]*\/srs\/[0-9a-f-]+)"/.exec(form.html)![1]!;
  return go(r, browser, form, new URL(action, form.url), { csrf: hiddenInput(form.html, 'csrf'), ...details });
}

function targetUrl(wait: Attempt): string {
  return decode(/id="srs-target"[^>]*href="([^"]+)"/.exec(wait.html)?.[1] ?? /href="([^"]+)"[^>]*id="srs-target"/.exec(wait.html)![1]!);
}

/** The test plays the person on the identification partner's "Define Identity" form. */
async function defineIdentity(target: string, o: { status: string; identity?: Record<string, string>; callback?: boolean; terms?: boolean }): Promise<string> {
  const page = await (await fetch(target)).text();
  expect(page).toContain('Define Identity');
  const value = (name: string) => decode(new RegExp(`name="${name}" type="[a-z]+" value="([^"]*)"`).exec(page)?.[1] ?? '');
  const form: Record<string, string> = {
    firstName: value('firstName'),
    lastName: value('lastName'),
    email: value('email'),
    mobile: value('mobile'),
    dob: value('dob'),
    placeOfBirth: 'Bern',
    nationality: value('nationality'),
    idCardNumber: 'S1234567',
    validUntil: '2031-01-01',
    ...o.identity,
    status: o.status,
    ...(o.terms === false ? {} : { termsAccepted: '1' }),
    ...(o.callback === false ? {} : { callback: '1' }),
  };
  const action = new URL(decode(/<form class="card" method="post" action="([^"]+)"/.exec(page)![1]!), target);
  const res = await fetch(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  expect(res.status).toBe(200);
  return res.text();
}

/** Reload the waiting page (as its script does) until it moves on. */
async function waitForSrs(r: Running, browser: Browser, wait: Attempt, until: (a: Attempt) => boolean = (a) => !a.html.includes('id="srs-status"'), timeoutMs = 10_000): Promise<Attempt> {
  const started = Date.now();
  let current = await go(r, browser, wait, wait.url);
  while (!current.callback && !until(current) && Date.now() - started < timeoutMs) {
    await new Promise((res) => setTimeout(res, 200));
    current = await go(r, browser, wait, wait.url);
  }
  return current;
}

describe('SRS video identification in the sandbox', () => {
  const r = {} as Running;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const started = await startSandboxServer({ env: { MOBILEID_POLL_INTERVAL_MS: '500', SRS_POLL_INTERVAL_MS: '500' } });
    r.server = started.server;
    cleanup = started.cleanup;
    r.rp = await createRp(r.server);
  });
  afterAll(async () => {
    await r.server.close();
    await cleanup();
  });

  it('steps up to QoR 300 by video identification via the QR page, with the partner calling back', async () => {
    const browser = new Browser({ 'accept-language': 'en' });
    const stepUp = await mobileIdLogin(r, browser, '41791260001', { acr_values: QOR_300, scope: 'openid profile' });
    expect(stepUp.html).toContain('Video identification (Swisscom)');
    expect(stepUp.html).toContain('Identification through your bank (Swisscom)');

    const form = await chooseSrs(r, browser, stepUp, 'srs-video');
    expect(form.url.pathname).toMatch(/\/stepup\/[^/]+\/srs\/[0-9a-f-]{36}$/);
    expect(form.html).toContain('video call');
    expect(form.html).toContain('+417******01');

    const wait = await submitDetails(r, browser, form);
    expect(wait.html).toContain('Scan this code with your phone');
    expect(wait.html).toMatch(/<img class="srs-qr" src="data:image\/png;base64,[A-Za-z0-9+/=]{200,}"/);
    const target = targetUrl(wait);
    expect(target).toContain('/srs/isp/');

    // The partner's page shows the initial data we sent.
    const ispPage = await (await fetch(target)).text();
    expect(ispPage).toContain('value="Anna Maria"');
    expect(ispPage).toContain('value="+41791260001"');
    expect(ispPage).toContain('Video-ISP');

    const result = await defineIdentity(target, { status: 'Data Ready', identity: { firstName: 'ANNA MARIA', lastName: 'Mueller' } });
    expect(result).toContain('Callback to the service provider: HTTP 200');

    const done = await waitForSrs(r, browser, wait);
    expect(done.callback, `the login finishes (at ${done.url.pathname})`).toBeDefined();
    const claims = (await redeem(r.rp, done)).claims()!;
    expect(claims.acr).toBe(QOR_300);
    expect(claims.fulfilled_qors).toEqual([QOR_100, QOR_300]);
    expect(claims.arm_values).toEqual([QOR_300]);

    const account = (await r.server.db('accounts').where({ msisdn: '41791260001' }).first()) as { id: string; mobileid_serial: string };
    const [v] = await listVerifications(r.server.db, account.id);
    expect(v).toMatchObject({ method: 'srs-video', kind: 'auto', status: 'approved', boundSerial: account.mobileid_serial });
    expect(v!.evidence).toMatchObject({
      given_name: 'ANNA MARIA',
      family_name: 'Mueller',
      birthdate: '1985-02-28',
      nationalities: ['CH'],
      evidence_type: 'document',
      loa: 4,
      jurisdiction: 'ZERTES',
      identification_method: 'video',
      identification_partner: 'Video-ISP',
      evidence_id: expect.stringMatching(/^RAS[0-9a-f]{24}$/),
    });
    expect(v!.providerReference).toMatch(/^[0-9a-f-]{36}$/);

    // The same callback again changes nothing; the next login goes straight through.
    const again = new Browser();
    const next = await mobileIdLogin(r, again, '41791260001', { acr_values: QOR_300 });
    expect(next.callback, 'no step-up the second time').toBeDefined();
  });

  it('finds the result by polling when the partner does not call back (bank identification)', async () => {
    const browser = new Browser();
    const stepUp = await mobileIdLogin(r, browser, '41791260002', { acr_values: QOR_300 });
    const form = await chooseSrs(r, browser, stepUp, 'srs-bank');
    expect(form.html).toContain('online banking');
    const wait = await submitDetails(r, browser, form);
    expect(wait.html).toContain('Continue to the bank identification');
    const target = targetUrl(wait);
    expect(await (await fetch(target)).text()).toContain('KLARNA');

    const noted = await defineIdentity(target, { status: 'Waiting for Doc', callback: false });
    expect(noted).toContain('No callback sent');
    const processing = await waitForSrs(r, browser, wait, (a) => a.html.includes('is checking your identification'));
    expect(processing.html).toContain('The identification partner is checking your identification');

    await defineIdentity(target, { status: 'Data Ready', callback: false });
    const done = await waitForSrs(r, browser, wait);
    const claims = (await redeem(r.rp, done)).claims()!;
    expect(claims.acr).toBe(QOR_300);
    expect(claims.arm_values).toEqual([QOR_300]);
    const account = (await r.server.db('accounts').where({ msisdn: '41791260002' }).first()) as { id: string };
    const [v] = await listVerifications(r.server.db, account.id);
    expect(v).toMatchObject({ method: 'srs-bank' });
    expect(v!.evidence).toMatchObject({ loa: 4, jurisdiction: 'EIDAS', identification_method: 'aml-bank', identification_partner: 'KLARNA', evidence_type: 'electronic_record' });
  });

  it('waits for the terms of use sent by SMS before the evidence counts', async () => {
    const browser = new Browser();
    const stepUp = await mobileIdLogin(r, browser, '41791260003', { acr_values: QOR_300 });
    const wait = await submitDetails(r, browser, await chooseSrs(r, browser, stepUp, 'srs-video'));
    const target = targetUrl(wait);
    await defineIdentity(target, { status: 'Data Ready', terms: false });
    const pending = await waitForSrs(r, browser, wait, (a) => a.html.includes('accept the terms of use'));
    expect(pending.html).toContain('Swisscom has sent you an SMS');
    const terms = await fetch(new URL(`${new URL(target).pathname}/terms`, target), { method: 'POST' });
    expect(await terms.text()).toContain('Terms of use accepted');
    const done = await waitForSrs(r, browser, wait);
    expect((await redeem(r.rp, done)).claims()!.acr).toBe(QOR_300);
  });

  const endings = [
    { status: 'Identification cancelled by user', text: 'You cancelled the identification', cls: 'notice' },
    { status: 'Identification cancelled by ISP', text: 'The identification partner cancelled the identification', cls: 'error' },
    { status: 'Identification unsuccessful', text: 'the identity document could not be accepted', cls: 'error' },
    { status: 'error', text: 'did not report a result', cls: 'error' },
  ];
  for (const [n, ending] of endings.entries()) {
    it(`brings the user back to the step-up page with the reason: ${ending.status}`, async () => {
      const browser = new Browser({ 'accept-language': 'en' });
      const stepUp = await mobileIdLogin(r, browser, `4179126010${n}`, { acr_values: QOR_300 });
      const wait = await submitDetails(r, browser, await chooseSrs(r, browser, stepUp, 'srs-video'));
      await defineIdentity(targetUrl(wait), { status: ending.status, callback: n % 2 === 0 });
      const back = await waitForSrs(r, browser, wait);
      expect(back.callback).toBeUndefined();
      expect(back.url.pathname).toBe(stepUp.url.pathname);
      expect(back.html).toContain('Your identity needs to be verified');
      expect(back.html).toMatch(new RegExp(`<p class="${ending.cls}" role="(alert|status)">[^<]*${ending.text}`));
      // The user can choose again at once.
      expect(back.html).toContain('value="srs-video"');
    });
  }

  it('fails with a clear message when the proven identity is not the one claimed', async () => {
    const browser = new Browser({ 'accept-language': 'de' });
    const stepUp = await mobileIdLogin(r, browser, '41791260020', { acr_values: QOR_300 });
    const wait = await submitDetails(r, browser, await chooseSrs(r, browser, stepUp, 'srs-video'));
    await defineIdentity(targetUrl(wait), { status: 'Data Ready', identity: { dob: '1985-03-01' } });
    const back = await waitForSrs(r, browser, wait);
    expect(back.url.pathname).toBe(stepUp.url.pathname);
    expect(back.html).toContain('Das nachgewiesene Geburtsdatum stimmt nicht mit Ihren Angaben überein');
    const account = (await r.server.db('accounts').where({ msisdn: '41791260020' }).first()) as { id: string };
    expect(await listVerifications(r.server.db, account.id)).toEqual([]);
  });

  it('picks an identification up again in a later login of the same Mobile ID', async () => {
    const first = new Browser();
    const stepUp = await mobileIdLogin(r, first, '41791260022', { acr_values: QOR_300 });
    const wait = await submitDetails(r, first, await chooseSrs(r, first, stepUp, 'srs-video'));
    const target = targetUrl(wait);
    // The browser is closed; the person comes back later with a new login and chooses video again.
    const later = new Browser();
    const again = await chooseSrs(r, later, await mobileIdLogin(r, later, '41791260022', { acr_values: QOR_300 }), 'srs-video');
    expect(again.html).toContain('id="srs-status"');
    expect(targetUrl(again)).toBe(target);
    await defineIdentity(target, { status: 'Data Ready' });
    const done = await waitForSrs(r, later, again);
    expect((await redeem(r.rp, done)).claims()!.arm_values).toEqual([QOR_300]);
    // The first login's page no longer belongs to this identification.
    expect((await first.request(wait.url)).status).toBe(404);
  });

  it('checks the details form and keeps what was typed', async () => {
    const browser = new Browser();
    const stepUp = await mobileIdLogin(r, browser, '41791260021', { acr_values: QOR_300 });
    const form = await chooseSrs(r, browser, stepUp, 'srs-video');
    const again = await submitDetails(r, browser, form, { ...ANNA, birth_date: '1985-02-30', email: 'not-an-address' });
    expect(again.status).toBe(400);
    expect(again.html).toContain('Please enter a valid date of birth');
    expect(again.html).toContain('Please enter a valid e-mail address');
    expect(again.html).toContain('value="Anna Maria"');
    expect(r.server.sandbox!.srsSimulator.state.identifications.size).toBeGreaterThan(0);
  });

  it('refuses callbacks that are not signed by the partner', async () => {
    const res = await fetch(`${r.server.url}/callbacks/srs`, { method: 'POST', headers: { 'content-type': 'application/jwt' }, body: 'eyJhbGciOiJub25lIn0.eyJyZWZJZCI6IngifQ.' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'callback_invalid' });
  });
});

/** A stand-in for the network between us and SRS: passes through, refuses, answers 500 or hangs. */
class Line {
  mode: 'pass' | 'refuse' | 'error' | 'hang' = 'pass';
  private server: http.Server | undefined;
  port = 0;
  constructor(private readonly upstream: () => string) {}

  async open(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      if (this.mode === 'error') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal"}');
        return;
      }
      if (this.mode === 'hang') return; // never answers
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
        fetch(`${this.upstream()}${req.url}`, { method: req.method, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) })
          .then(async (up) => {
            res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await up.arrayBuffer()));
          })
          .catch(() => res.writeHead(502).end());
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }

  async setMode(mode: Line['mode']): Promise<void> {
    if (mode === 'refuse' && this.mode !== 'refuse') await this.close();
    if (mode !== 'refuse' && this.mode === 'refuse') await this.open(this.port);
    this.mode = mode;
  }
}

describe('SRS outage', () => {
  const r = {} as Running;
  let cleanup: () => Promise<void>;
  let line: Line;

  beforeAll(async () => {
    const simPort = await freePort();
    const sim = `http://127.0.0.1:${simPort}/srs`;
    line = new Line(() => sim);
    await line.open();
    const started = await startSandboxServer({
      env: {
        SIMULATOR_PORT: String(simPort),
        MOBILEID_POLL_INTERVAL_MS: '500',
        SRS_POLL_INTERVAL_MS: '500',
        SRS_TIMEOUT_MS: '1000',
        SRS_URL: `http://127.0.0.1:${line.port}`,
        SRS_TOKEN_URL: `${sim}/oauth/token`,
        SRS_RAS_URL: `${sim}/ras`,
        SRS_CLIENT_ID: 'servicecore-test',
        SRS_CLIENT_SECRET: 'a-test-secret-of-the-srs-client',
        SRS_CALLBACK_ISSUER: 'urn:servicecore:sandbox:srs-isp',
        SRS_CALLBACK_JWKS_URL: `${sim}/.well-known/jwks.json`,
      },
    });
    r.server = started.server;
    cleanup = started.cleanup;
    r.rp = await createRp(r.server);
  });
  afterAll(async () => {
    await r.server.close();
    await cleanup();
    await line.close();
  });

  for (const mode of ['refuse', 'error', 'hang'] as const) {
    it(`explains a provider outage (${mode}) and loses nothing: the user retries on the same page`, async () => {
      const browser = new Browser({ 'accept-language': 'en' });
      const msisdn = `4179126030${['refuse', 'error', 'hang'].indexOf(mode)}`;
      const stepUp = await mobileIdLogin(r, browser, msisdn, { acr_values: QOR_300 });
      const form = await chooseSrs(r, browser, stepUp, 'srs-video');
      await line.setMode(mode);
      const failed = await submitDetails(r, browser, form);
      expect(failed.status).toBe(503);
      expect(failed.html).toContain('The Swisscom identification service cannot be reached at the moment. Your details are kept');
      expect(failed.html).toContain('value="Anna Maria"');
      expect(failed.html).toContain('value="1985-02-28"');

      await line.setMode('pass');
      const wait = await submitDetails(r, browser, failed, ANNA);
      const target = targetUrl(wait);

      // An outage while waiting: the page says so and keeps polling; the callback still lands.
      await line.setMode(mode);
      const unreachable = await waitForSrs(r, browser, wait, (a) => a.html.includes('cannot be reached'));
      expect(unreachable.html).toContain('Swisscom cannot be reached at the moment. We keep trying');
      await line.setMode('pass');
      await defineIdentity(target, { status: 'Data Ready', callback: mode !== 'refuse' });
      const done = await waitForSrs(r, browser, wait);
      const claims = (await redeem(r.rp, done)).claims()!;
      expect(claims.acr).toBe(QOR_300);
      expect(claims.arm_values).toEqual([QOR_300]);
    });
  }
});
