/**
 * The PostgreSQL server restarts or is briefly out of reach (a failover, maintenance): requests
 * made meanwhile get 503 with Retry-After and `temporarily_unavailable` (a page saying so to a
 * browser), /healthz stays up while /readyz says the database is unreachable, and once the
 * database is back the same requests succeed, with nothing of a login or a token lost.
 *
 * Only against a PostgreSQL server (DATABASE_URL): the embedded database lives inside the process.
 */
import { Writable } from 'node:stream';

import knexFactory, { type Knex } from 'knex';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { migrate } from '../../src/db/index.js';
import { createLogger } from '../../src/logger.js';
import type { RunningServer } from '../../src/server.js';
import { registerClient } from '../../src/oidc/clients.js';
import { Browser } from '../helpers/browser.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../helpers/db.js';
import { createRp, phone, redeem, submitPhone, waitForResult, type Attempt, type Rp } from '../helpers/rp.js';
import { freePort, startTestServer } from '../helpers/server.js';

let tdb: TestDatabase;
let server: RunningServer;
let rp: Rp;
let admin: Knex;
let database: string;
/** The server's log lines. */
const logLines: { level: string; msg: string; reqId?: string }[] = [];

beforeAll(async () => {
  if (!serverUrl) throw new Error('these tests need DATABASE_URL (a PostgreSQL server)');
  tdb = await createTestDatabase();
  const db = tdb.open();
  await migrate(db);
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (logLines.push(JSON.parse(chunk.toString('utf8')) as (typeof logLines)[number]), done()) });
  server = await startTestServer({ db, log: createLogger('info', sink), env: { SANDBOX: 'true', SIMULATOR_PORT: String(await freePort()), MOBILEID_POLL_INTERVAL_MS: '500' } });
  rp = await createRp(server);
  admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  database = new URL(tdb.url!).pathname.slice(1);
});
afterAll(async () => {
  await admin?.raw(`alter database ${database} allow_connections true`);
  await server?.close();
  await admin?.destroy();
  await tdb?.cleanup();
});

/**
 * Closes every connection of the server to its database, as a restart of PostgreSQL does, and
 * waits until those backends have gone (and so have told their clients). A request caught in
 * that very moment gets the 503 of the outage below; this is about the requests after it.
 */
async function closeConnections(): Promise<number> {
  const r = (await admin.raw('select array_agg(pid) as pids from (select pg_terminate_backend(pid), pid from pg_stat_activity where datname = ? and pid <> pg_backend_pid()) t', [database])) as { rows: { pids: number[] | null }[] };
  const pids = r.rows[0]!.pids ?? [];
  for (const until = Date.now() + 10_000; Date.now() < until; ) {
    const left = (await admin.raw('select count(*)::int as n from pg_stat_activity where pid = any(?)', [pids])) as { rows: { n: number }[] };
    if (left.rows[0]!.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  return pids.length;
}

/** The database goes away and refuses new connections until `back()`. */
async function outage(): Promise<{ back(): Promise<void> }> {
  await admin.raw(`alter database ${database} allow_connections false`);
  await closeConnections();
  return { back: async () => void (await admin.raw(`alter database ${database} allow_connections true`)) };
}

const basic = () => `Basic ${Buffer.from(`${encodeURIComponent(rp.clientId)}:${encodeURIComponent(rp.clientSecret!)}`).toString('base64')}`;

async function refresh(token: string): Promise<Response> {
  return fetch(rp.config.serverMetadata().token_endpoint!, {
    method: 'POST',
    headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }),
  });
}

async function loginWithRefresh(msisdn = '41700092501') {
  const browser = new Browser({ 'accept-language': 'en' });
  const begun = await rp.begin(browser, { scope: 'openid phone offline_access', prompt: 'consent' });
  return redeem(rp, await waitForResult(server, browser, await submitPhone(server, browser, begun, `+${msisdn}`)));
}

async function expectUnavailable(res: Response, as: 'json' | 'html') {
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe('5');
  if (as === 'json') expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
  else expect(await res.text()).toContain('The service is briefly unavailable. Nothing was lost');
}

describe('a restart of PostgreSQL', () => {
  it('is followed by requests that simply open new connections', async () => {
    const tokens = await loginWithRefresh();
    expect(await closeConnections()).toBeGreaterThan(0);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const refreshed = await refresh(tokens.refresh_token!);
    expect(refreshed.status).toBe(200);
    const { access_token } = (await refreshed.json()) as { access_token: string };
    expect(await closeConnections()).toBeGreaterThan(0);
    expect((await oidc.fetchUserInfo(rp.config, access_token, tokens.claims()!.sub)).sub).toBe(tokens.claims()!.sub);
    expect(await closeConnections()).toBeGreaterThan(0);
    expect(await loginWithRefresh()).toHaveProperty('access_token');
  });
});

describe('a database out of reach for a while', () => {
  it('answers 503 with Retry-After meanwhile, in JSON or as a page, and afterwards the same requests succeed with nothing lost', async () => {
    const tokens = await loginWithRefresh();
    const adminClient = await registerClient(server.provider, server.db, { client_name: 'Support automation', grant_types: ['client_credentials'], scope: 'admin' });
    const ccConfig = await oidc.discovery(new URL(server.url), adminClient.client_id, undefined, oidc.ClientSecretBasic(adminClient.client_secret!), { execute: [oidc.allowInsecureRequests] });
    const adminToken = (await oidc.clientCredentialsGrant(ccConfig, { scope: 'admin' })).access_token;

    // A login waiting for the phone when the database goes away.
    const msisdn = '41791270001';
    const browser = new Browser({ 'accept-language': 'en' });
    const waiting = await submitPhone(server, browser, await rp.begin(browser), `+${msisdn}`);
    const statusUrl = new URL(/data-status-url="([^"]+)"/.exec(waiting.html)![1]!.replace(/&amp;/g, '&'), server.url);

    const db = await outage();
    const from = logLines.length;
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unavailable', database: 'unreachable' });
      // Published documents need no database.
      expect((await fetch(`${server.url}/.well-known/openid-configuration`)).status).toBe(200);

      await expectUnavailable(await refresh(tokens.refresh_token!), 'json');
      const introspection = await fetch(rp.config.serverMetadata().introspection_endpoint!, {
        method: 'POST',
        headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token: tokens.access_token }),
      });
      await expectUnavailable(introspection, 'json');
      await expectUnavailable(await fetch(rp.config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } }), 'json');
      await expectUnavailable(await fetch(`${server.url}/admin/api/qors`, { headers: { authorization: `Bearer ${adminToken}` } }), 'json');
      // The person approves meanwhile; the waiting page and its status say "try again shortly".
      await phone(server).approve(msisdn);
      await expectUnavailable(await browser.request(statusUrl, { headers: { accept: 'application/json' } }), 'json');
      await expectUnavailable(await browser.request(waiting.url), 'html');
      const other = new Browser({ 'accept-language': 'en' });
      const url = oidc.buildAuthorizationUrl(rp.config, { redirect_uri: 'https://rp.example.ch/callback', scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
      await expectUnavailable(await other.request(url), 'html');
    } finally {
      await db.back();
    }
    // Each refused request: one warning with its request id, no error (nothing is broken).
    const during = logLines.slice(from);
    expect(during.filter((l) => l.level === 'error')).toEqual([]);
    expect(during.filter((l) => l.msg === 'database unavailable' && l.reqId).length).toBeGreaterThanOrEqual(7);

    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    // The refresh token refused meanwhile was not used up.
    expect((await refresh(tokens.refresh_token!)).status).toBe(200);
    // The login continues where it was and ends at the relying party.
    const done: Attempt = await waitForResult(server, browser, { ...waiting, html: '<p id="mobileid-status"></p>' });
    expect((await redeem(rp, done)).claims()!.acr).toBe('urn:servicecore:qoa:mobileid-sim');
  });
});
