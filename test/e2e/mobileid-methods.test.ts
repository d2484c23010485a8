/**
 * What a relying party is told about the Mobile ID method, against a Mobile ID service whose
 * answers name an AP's own profile mapping (`…/My-Custom-Profile`, as in the recorded App2App
 * answers) instead of STK-LoA4 / Device-LoA4, and the MSS Receipt (MOBILEID_RECEIPT=true): sent
 * once, after the login went through, with the AP's prefix, and never to a refused login.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/logger.js';
import type { RunningServer } from '../../src/server.js';
import { startMobileIdSimulator, type StartedMobileIdSimulator } from '../../src/simulators/mobileid/index.js';
import { Browser } from '../helpers/browser.js';
import { migratedDb } from '../helpers/db.js';
import { createRp, redeem, submitPhone, waitForResult, type Rp } from '../helpers/rp.js';
import { startTestServer } from '../helpers/server.js';

const AP_ID = 'mid://sandbox.servicecore.ch';
const CUSTOM_PROFILE = 'http://mid.swisscom.ch/My-Custom-Profile';

let simulator: StartedMobileIdSimulator;
let server: RunningServer;
let cleanup: () => Promise<void>;
let trustDir: string;
let rp: Rp;
/** The server's log lines. */
const logLines: { msg?: string; login?: string; code?: string; reqId?: string }[] = [];

beforeAll(async () => {
  simulator = await startMobileIdSimulator({ apId: AP_ID, dtbdPrefix: 'ServiceCore: ', reportedProfiles: { sim: CUSTOM_PROFILE, app: CUSTOM_PROFILE } });
  trustDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scl-trust-'));
  const rootFile = path.join(trustDir, 'mobileid-root.pem');
  fs.writeFileSync(rootFile, simulator.simulator.rootCaPem);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as (typeof logLines)[number]);
      done();
    },
  });
  const t = await migratedDb();
  cleanup = t.cleanup;
  server = await startTestServer({
    db: t.db,
    env: {
      MOBILEID_URL: simulator.url,
      MOBILEID_AP_ID: AP_ID,
      MOBILEID_DTBD_PREFIX: 'ServiceCore: ',
      MOBILEID_TRUST_ANCHOR_FILES: rootFile,
      MOBILEID_POLL_INTERVAL_MS: '500',
      MOBILEID_RECEIPT: 'true',
      MOBILEID_SERIAL_POLICY: 'reject',
    },
    log: createLogger('info', sink),
  });
  rp = await createRp(server);
});
afterAll(async () => {
  await server.close();
  await cleanup();
  await simulator.close();
  fs.rmSync(trustDir, { recursive: true, force: true });
});

async function phoneApi(action: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${simulator.url}/phone/api/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, `phone ${action}`).toBe(200);
}

/** A whole login with the number approved on the virtual phone; the login's id and the page at the end. */
async function login(msisdn: string) {
  const browser = new Browser({ 'accept-language': 'de' });
  const waiting = await submitPhone(server, browser, await rp.begin(browser), msisdn);
  const loginId = /\/mobileid\/([0-9a-f-]{36})/.exec(waiting.url.pathname)?.[1];
  await phoneApi('approve', { msisdn });
  return { loginId, done: await waitForResult(server, browser, waiting) };
}

async function receiptsOf(loginId: string | undefined, wait = 5000): Promise<number> {
  expect(loginId).toBeDefined();
  // The receipt goes out after the response, without being waited for.
  const until = Date.now() + wait;
  let count = 0;
  do {
    count = logLines.filter((l) => l.login === loginId && l.msg?.startsWith('mobile id receipt')).length;
    if (count > 0) break;
    await new Promise((r) => setTimeout(r, 50));
  } while (Date.now() < until);
  return count;
}

describe('a profile mapping that names no method', () => {
  /** The id_token claims of a login with a number that has these methods. */
  async function claimsWith(msisdn: string, methods: { sim: boolean; app: boolean }) {
    await phoneApi('methods', { msisdn, ...methods });
    return (await redeem(rp, (await login(msisdn)).done)).claims()!;
  }

  it('reports an App-only number as the App (swk), never as the SIM', async () => {
    const msisdn = '41791240001';
    const claims = await claimsWith(msisdn, { sim: false, app: true });
    expect(claims.amr).toEqual(['swk', 'mfa']);
    expect(claims.acr).toBe('urn:servicecore:qoa:mobileid-app');
    const [row] = await server.db('mobileid_transactions').where({ msisdn });
    expect(row).toMatchObject({ signature_profile: CUSTOM_PROFILE, method: 'app' });
  });

  it('reports a SIM-only number as the SIM (the only method it has)', async () => {
    const claims = await claimsWith('41791240002', { sim: true, app: false });
    expect(claims.amr).toEqual(['hwk', 'pin', 'mfa']);
    expect(claims.acr).toBe('urn:servicecore:qoa:mobileid-sim');
  });

  it('claims no more than the App when the number has both and the answer does not say which was used', async () => {
    const claims = await claimsWith('41791240003', { sim: true, app: true });
    expect(claims.amr).toEqual(['swk', 'mfa']);
    expect(claims.acr).toBe('urn:servicecore:qoa:mobileid-app');
  });
});

describe('MOBILEID_RECEIPT=true', () => {
  it('sends one receipt, with the prefix, once the login went through', async () => {
    const msisdn = '41791240010';
    const { loginId, done } = await login(msisdn);
    expect(done.callback?.searchParams.get('code')).toBeTruthy();
    expect(await receiptsOf(loginId)).toBe(1);
    // Accepted by Mobile ID (the simulator refuses a text without the AP's prefix with fault 107).
    const lines = logLines.filter((l) => l.login === loginId);
    expect(lines.map((l) => l.msg)).toContain('mobile id receipt sent');
    // Each line of the login carries the id of the request it was written in.
    for (const msg of ['mobile id request sent', 'mobile id signature verified', 'mobile id receipt sent']) {
      expect(lines.find((l) => l.msg === msg)?.reqId, msg).toMatch(/\S/);
    }
  });

  it('sends none to a login refused for a changed serial', async () => {
    const msisdn = '41791240011';
    await redeem(rp, (await login(msisdn)).done);
    await phoneApi('reactivate', { msisdn });
    const { loginId, done } = await login(msisdn);
    expect(done.status).toBe(403);
    expect(await receiptsOf(loginId, 800)).toBe(0);
  });
});
