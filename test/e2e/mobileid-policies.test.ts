/**
 * The Mobile ID policies a relying party and a person notice: serial pinning under the reject
 * policy, geofencing for a Level of Trust (country, confidences, location off, location age), a
 * server restart in the middle of a login, bounded status queries, and rate limits.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server.js';
import { startMobileIdSimulator, type StartedMobileIdSimulator } from '../../src/simulators/mobileid/index.js';
import { Browser } from '../helpers/browser.js';
import { createTestDatabase, migratedDb, type TestDatabase } from '../helpers/db.js';
import { createRp, phone, redeem, submitPhone, waitForResult, type Rp } from '../helpers/rp.js';
import { freePort, startSandboxServer, startTestServer } from '../helpers/server.js';

const LOT_CH = 'urn:servicecore:lot:mobileid-ch';
const POLL_MS = 500;

let server: RunningServer;
let cleanup: () => Promise<void>;
let rp: Rp;

beforeAll(async () => {
  ({ server, cleanup } = await startSandboxServer({ env: { MOBILEID_POLL_INTERVAL_MS: String(POLL_MS), MOBILEID_SERIAL_POLICY: 'reject', MOBILEID_RATE_LIMIT_PER_NUMBER: '2/600', MOBILEID_RATE_LIMIT_PER_IP: '1000/600' } }));
  rp = await createRp(server);
});
afterAll(async () => {
  await server.close();
  await cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function statusUrlOf(html: string, base: string): URL {
  const match = /data-status-url="([^"]+)"/.exec(html);
  if (!match) throw new Error('no status URL on the page');
  return new URL(match[1]!, base);
}

describe('serial pinning with MOBILEID_SERIAL_POLICY=reject', () => {
  it('refuses a login after a re-activation with a translated page, no code, and an audit event', async () => {
    const msisdn = '41791230010';
    const first = new Browser({ 'accept-language': 'de' });
    let attempt = await submitPhone(server, first, await rp.begin(first), msisdn);
    await phone(server).approve(msisdn);
    const claims = (await redeem(rp, await waitForResult(server, first, attempt))).claims()!;
    const pinned = await server.db('accounts').where({ msisdn }).first();
    expect(pinned.id).toBe(claims.sub);
    expect(pinned.mobileid_serial).toMatch(/^MIDCHE/);

    await phone(server).reactivate(msisdn);
    const second = new Browser({ 'accept-language': 'de' });
    attempt = await submitPhone(server, second, await rp.begin(second), msisdn);
    await phone(server).approve(msisdn);
    const refused = await waitForResult(server, second, attempt);

    expect(refused.callback).toBeUndefined();
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('<html lang="de"');
    expect(refused.html).toContain('dieser Anmeldung kann daher nicht vertraut werden');
    expect(refused.html).toContain('serial_mismatch');
    const after = await server.db('accounts').where({ msisdn }).first();
    expect(after.mobileid_serial).toBe(pinned.mobileid_serial);
    const events = await server.db('audit_events').where({ action: 'mobileid.serial_mismatch', subject: `account:${pinned.id}` });
    expect(events).toHaveLength(1);
    const [event] = events;
    const before = typeof event.before === 'string' ? JSON.parse(event.before) : event.before;
    expect(before).toEqual({ serial: pinned.mobileid_serial });
  });
});

describe(`geofencing for ${LOT_CH}`, () => {
  it.each([
    ['a location outside CH/LI', '41791230001', { country: 'DE' }, /cannot be used from the country you are currently in/, undefined, 'geofence_country'],
    ['a low location confidence', '41791230002', { locationConfidence: 0.3 }, /could not be confirmed reliably enough/, /Switch flight mode on and off to refresh your location/, 'geofence_location_confidence'],
    ['location services off', '41791230003', { locationOff: true }, /needs your location, but none was received/, /Location services are switched off on your phone/, '105'],
    ['flight mode', '41791230004', { geofencingErrorCode: '106' }, /needs your location, but none was received/, /Your phone is in flight mode/, '106'],
  ] as const)('refuses %s with an actionable message', async (_case, msisdn, report, message, advice, code) => {
    const browser = new Browser({ 'accept-language': 'en' });
    const waiting = await submitPhone(server, browser, await rp.begin(browser, { acr_values: LOT_CH }), msisdn);
    await phone(server).approve(msisdn, report);
    const page = await waitForResult(server, browser, waiting);

    expect(page.callback).toBeUndefined();
    expect(page.html).toMatch(message);
    if (advice) expect(page.html).toMatch(advice);
    expect(page.html).toContain(`Error code: ${code}`);
    expect(page.html).toContain('/abort');
    expect(await server.db('accounts').where({ msisdn })).toHaveLength(0);
  });

  it('lets a Swiss location through with the Level of Trust as acr and the location in userinfo', async () => {
    const msisdn = '41791230005';
    const browser = new Browser({ 'accept-language': 'en' });
    const waiting = await submitPhone(
      server,
      browser,
      await rp.begin(browser, { acr_values: LOT_CH, scope: 'openid phone mobileid_location' }),
      msisdn,
    );
    const pending = ((await phone(server).pending(msisdn)) as unknown as { pending: { geofencing: boolean }[] }).pending;
    expect(pending).toHaveLength(1);
    expect(pending[0]!.geofencing).toBe(true);
    await phone(server).approve(msisdn, { country: 'CH', accuracy: 40, locationConfidence: 0.95, deviceConfidence: 0.8 });

    const tokens = await redeem(rp, await waitForResult(server, browser, waiting));
    const claims = tokens.claims()!;
    expect(claims.acr).toBe(LOT_CH);
    expect(claims.amr).toContain('geo');
    const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub);
    expect(userinfo.mobileid_location).toMatchObject({ country: 'CH', accuracy: 40, location_confidence: 0.95, device_confidence: 0.8 });
    const { timestamp } = userinfo.mobileid_location as { timestamp: string };
    expect(Math.abs(Date.now() - Date.parse(timestamp))).toBeLessThan(60_000);
  });

  it('says what the login a token stands for proved, not what a later login of the number did', async () => {
    const msisdn = '41791230007';
    const first = new Browser({ 'accept-language': 'en' });
    let waiting = await submitPhone(server, first, await rp.begin(first, { acr_values: LOT_CH, scope: 'openid phone mobileid_location' }), msisdn);
    await phone(server).approve(msisdn, { country: 'LI', accuracy: 25, locationConfidence: 0.9, deviceConfidence: 0.9 });
    const swiss = await redeem(rp, await waitForResult(server, first, waiting));
    expect(swiss.claims()!.arm_values).toEqual([LOT_CH]);

    // The same number again, for no Level of Trust: no location is asked for or reported.
    const second = new Browser({ 'accept-language': 'en' });
    waiting = await submitPhone(server, second, await rp.begin(second, { scope: 'openid phone mobileid_location' }), msisdn);
    await phone(server).approve(msisdn);
    const plain = await redeem(rp, await waitForResult(server, second, waiting));

    const firstInfo = await oidc.fetchUserInfo(rp.config, swiss.access_token, swiss.claims()!.sub);
    expect(firstInfo.mobileid_location).toMatchObject({ country: 'LI', accuracy: 25 });
    const secondInfo = await oidc.fetchUserInfo(rp.config, plain.access_token, plain.claims()!.sub);
    expect(secondInfo.mobileid_location).toBeUndefined();
  });

  it('does not ask for or release a location when no Level of Trust requires it', async () => {
    const msisdn = '41791230006';
    const browser = new Browser();
    const waiting = await submitPhone(server, browser, await rp.begin(browser, { scope: 'openid phone mobileid_location' }), msisdn);
    const pending = ((await phone(server).pending(msisdn)) as unknown as { pending: { geofencing: boolean }[] }).pending;
    expect(pending[0]!.geofencing).toBe(false);
    await phone(server).approve(msisdn, { country: 'DE' });
    const tokens = await redeem(rp, await waitForResult(server, browser, waiting));
    const claims = tokens.claims()!;
    expect(claims.acr).toBe('urn:servicecore:qoa:mobileid-sim');
    expect(claims.amr).not.toContain('geo');
    expect((await oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub)).mobileid_location).toBeUndefined();
  });
});

describe('outbound status queries', () => {
  it('stay bounded by the poll interval however often the page asks', async () => {
    const msisdn = '41791230030';
    const browser = new Browser();
    const start = await rp.begin(browser);
    const startedAt = Date.now();
    const waiting = await submitPhone(server, browser, start, msisdn);
    const statusUrl = statusUrlOf(waiting.html, server.url);

    // Three bursts of ten concurrent requests, as from several open tabs.
    const answers: unknown[] = [];
    for (let burst = 0; burst < 3; burst += 1) {
      const responses = await Promise.all(Array.from({ length: 10 }, () => browser.request(statusUrl, { headers: { accept: 'application/json' } })));
      for (const res of responses) {
        expect(res.status).toBe(200);
        answers.push(await res.json());
      }
    }
    const elapsed = Date.now() - startedAt;
    expect(answers).toHaveLength(30);
    for (const answer of answers) expect(answer).toMatchObject({ status: 'pending' });

    const row = await server.db('mobileid_transactions').where({ msisdn, status: 'pending' }).first();
    expect(row.polls).toBeGreaterThanOrEqual(1);
    expect(row.polls).toBeLessThanOrEqual(Math.floor(elapsed / POLL_MS) + 1);
    // One request on the phone, however many times the page asked.
    expect(((await phone(server).pending(msisdn)) as unknown as { pending: unknown[] }).pending).toHaveLength(1);

    await phone(server).cancel(msisdn);
    expect((await waitForResult(server, browser, waiting)).html).toMatch(/cancel/i);
  });
});

describe('rate limit per number (MOBILEID_RATE_LIMIT_PER_NUMBER=2/600)', () => {
  it('refuses a third login start within the window with HTTP 429 and a translated message', async () => {
    const msisdn = '41791230020';
    for (let i = 0; i < 2; i += 1) {
      const browser = new Browser();
      const waiting = await submitPhone(server, browser, await rp.begin(browser), msisdn);
      expect(waiting.html).toContain('id="mobileid-status"');
      await phone(server).cancel(msisdn);
      await waitForResult(server, browser, waiting);
    }
    const browser = new Browser({ 'accept-language': 'de' });
    const refused = await submitPhone(server, browser, await rp.begin(browser), msisdn);
    expect(refused.status).toBe(429);
    expect(refused.html).toContain('Zu viele Anmeldeanfragen für diese Nummer oder aus Ihrem Netzwerk. Bitte warten Sie 10 Minuten');
    expect(refused.html).toContain('id="phone"');
    expect(((await phone(server).pending(msisdn)) as unknown as { pending: unknown[] }).pending).toHaveLength(0);
    expect(await server.db('mobileid_transactions').where({ msisdn })).toHaveLength(2);

    // Another number from the same browser is not affected.
    const other = await submitPhone(server, browser, await rp.begin(browser), '41791230021');
    expect(other.html).toContain('id="mobileid-status"');
    await phone(server).cancel('41791230021');
  });
});

describe('a server with a one-second location age limit and MOBILEID_RATE_LIMIT_PER_IP=3/600', () => {
  let ageServer: RunningServer;
  let ageCleanup: () => Promise<void>;
  let ageRp: Rp;
  let policyDir: string;

  beforeAll(async () => {
    policyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scl-policy-'));
    // The default policies, with the Level of Trust's location age limit cut to one second.
    fs.cpSync(path.resolve('policies'), policyDir, { recursive: true });
    const file = path.join(policyDir, 'qor.json');
    const policy = JSON.parse(fs.readFileSync(file, 'utf8')) as { levelsOfTrust: { systemName: string; checks: { geofencing?: { maxAgeSeconds?: number } } }[] };
    policy.levelsOfTrust.find((l) => l.systemName === LOT_CH)!.checks.geofencing!.maxAgeSeconds = 1;
    fs.writeFileSync(file, JSON.stringify(policy));
    const t = await migratedDb();
    ageCleanup = t.cleanup;
    ageServer = await startTestServer({
      db: t.db,
      env: {
        SANDBOX: 'true',
        SIMULATOR_PORT: String(await freePort()),
        POLICY_DIR: policyDir,
        MOBILEID_POLL_INTERVAL_MS: String(POLL_MS),
        MOBILEID_RATE_LIMIT_PER_NUMBER: '1000/600',
        MOBILEID_RATE_LIMIT_PER_IP: '3/600',
      },
    });
    ageRp = await createRp(ageServer);
  });
  afterAll(async () => {
    await ageServer?.close();
    await ageCleanup?.();
    fs.rmSync(policyDir, { recursive: true, force: true });
  });

  it('refuses a location that is older than the level allows when the status arrives', async () => {
    const msisdn = '41791230040';
    const browser = new Browser({ 'accept-language': 'en' });
    // Loading the waiting page queries the status once (still outstanding).
    const waiting = await submitPhone(ageServer, browser, await ageRp.begin(browser, { acr_values: LOT_CH }), msisdn);
    expect(waiting.html).toContain('id="mobileid-status"');
    // The phone reports its location now; our server only sees it at the next status query.
    await phone(ageServer).approve(msisdn, { country: 'CH' });
    await sleep(2500);
    const page = await waitForResult(ageServer, browser, waiting);

    expect(page.callback).toBeUndefined();
    expect(page.html).toContain('Your location data is out of date.');
    expect(page.html).toContain('Switch flight mode on and off to refresh your location');
    expect(page.html).toContain('Error code: geofence_age');
    expect(await ageServer.db('accounts').where({ msisdn })).toHaveLength(0);
  });

  it('refuses login starts from one address beyond the limit, whatever the number', async () => {
    const used = Number((await ageServer.db('mobileid_transactions').count<{ count: string | number }[]>('* as count'))[0]!.count);
    expect(used).toBeLessThan(3);
    for (let i = used; i < 3; i += 1) {
      const browser = new Browser();
      const waiting = await submitPhone(ageServer, browser, await ageRp.begin(browser), `4179123006${i}`);
      expect(waiting.html).toContain('id="mobileid-status"');
      await phone(ageServer).cancel(`4179123006${i}`);
    }
    const browser = new Browser({ 'accept-language': 'fr' });
    const refused = await submitPhone(ageServer, browser, await ageRp.begin(browser), '41791230069');
    expect(refused.status).toBe(429);
    expect(refused.html).toContain('Trop de demandes de connexion pour ce numéro ou depuis votre réseau. Veuillez patienter 10 minutes');
    expect(((await phone(ageServer).pending('41791230069')) as unknown as { pending: unknown[] }).pending).toHaveLength(0);
  });
});

describe('a server restart in the middle of a login', () => {
  const AP_ID = 'mid://sandbox.servicecore.ch';
  let simulator: StartedMobileIdSimulator;
  let tdb: TestDatabase;
  let port: number;
  let trustDir: string;
  let env: Record<string, string>;
  let current: RunningServer | undefined;

  const start = () => startTestServer({ db: tdb.open(), port, env });
  async function stop(): Promise<void> {
    const running = current;
    current = undefined;
    if (!running) return;
    await running.close();
    await running.db.destroy();
  }

  beforeAll(async () => {
    simulator = await startMobileIdSimulator({ apId: AP_ID, dtbdPrefix: 'ServiceCore: ' });
    trustDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scl-trust-'));
    const rootFile = path.join(trustDir, 'mobileid-root.pem');
    fs.writeFileSync(rootFile, simulator.simulator.rootCaPem);
    env = {
      SANDBOX: 'false',
      MOBILEID_URL: simulator.url,
      MOBILEID_TRUST_ANCHOR_FILES: rootFile,
      MOBILEID_POLL_INTERVAL_MS: String(POLL_MS),
    };
    tdb = await createTestDatabase({ persistent: true });
    port = await freePort();
  });
  afterAll(async () => {
    await stop();
    await tdb.cleanup();
    await simulator.close();
    fs.rmSync(trustDir, { recursive: true, force: true });
  });

  async function approveOnPhone(msisdn: string): Promise<void> {
    const res = await fetch(`${simulator.url}/phone/api/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ msisdn }) });
    expect(res.status).toBe(200);
  }
  async function pendingOnPhone(msisdn: string): Promise<unknown[]> {
    return ((await (await fetch(`${simulator.url}/phone/api/pending?msisdn=${msisdn}`)).json()) as { pending: unknown[] }).pending;
  }

  it('continues the login on the new instance and the code redeems', async () => {
    current = await start();
    const restartRp = await createRp(current);
    const msisdn = '41791230050';
    const browser = new Browser({ 'accept-language': 'en' });
    const waiting = await submitPhone(current, browser, await restartRp.begin(browser), msisdn);
    expect(waiting.html).toContain('id="mobileid-status"');
    expect(await pendingOnPhone(msisdn)).toHaveLength(1);

    await stop();
    current = await start();

    await approveOnPhone(msisdn);
    const done = await waitForResult(current, browser, waiting);
    expect(done.callback?.searchParams.get('iss')).toBe(current.url);
    const tokens = await redeem(restartRp, done);
    const claims = tokens.claims()!;
    expect(claims.acr).toBe('urn:servicecore:qoa:mobileid-sim');
    expect((await oidc.fetchUserInfo(restartRp.config, tokens.access_token, claims.sub)).phone_number).toBe(`+${msisdn}`);
    // The request reached the phone once: the new instance continued it rather than sending again.
    expect(await current.db('mobileid_transactions').where({ msisdn })).toHaveLength(1);
  });
});
