import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registerClient } from '../../src/oidc/clients.js';
import { rotateKeys } from '../../src/oidc/keys.js';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { freePort, startTestServer } from '../helpers/server.js';

const API = 'https://api.example.ch';
const env = { RESOURCE_SERVERS: `${API}=read write`, KEY_ENCRYPTION_KEY: 'k'.repeat(40) };

let tdb: TestDatabase;
let port: number;
let server: RunningServer;

async function start(): Promise<RunningServer> {
  return startTestServer({ db: tdb.open(), port, env });
}
async function restart(): Promise<void> {
  await server.close();
  await server.db.destroy();
  server = await start();
}

async function clientCredentials(clientId: string, secret: string, resource?: string): Promise<Response> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', ...(resource ? { resource, scope: 'read' } : {}) });
  return fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
}

beforeAll(async () => {
  tdb = await createTestDatabase({ persistent: true });
  port = await freePort();
  server = await start();
});
afterAll(async () => {
  await server.close();
  await server.db.destroy();
  await tdb.cleanup();
});

describe('signing keys and clients in the database', () => {
  it('keeps keys and clients across a restart, and checks secrets against their hash', async () => {
    const jwksBefore = await (await fetch(`${server.url}/jwks`)).json();
    const { client_id, client_secret } = await registerClient(server.provider, server.db, { client_name: 'Batch', grant_types: ['client_credentials'] });
    expect(client_secret).toBeTruthy();
    const stored = await server.db('oidc_payloads').where({ model: 'Client', id: client_id }).first();
    expect(JSON.stringify(stored.payload)).not.toContain(client_secret!);

    await restart();

    expect(await (await fetch(`${server.url}/jwks`)).json()).toEqual(jwksBefore);
    const ok = await clientCredentials(client_id, client_secret!);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { token_type: string }).token_type).toBe('Bearer');
    const wrong = await clientCredentials(client_id, `${client_secret!}x`);
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('stores private keys encrypted', async () => {
    const rows = await server.db('signing_keys').select('private_jwk_encrypted');
    for (const row of rows) expect(row.private_jwk_encrypted).not.toMatch(/"d"/);
  });

  it('rotation keeps tokens signed with the old key verifiable', async () => {
    const { client_id, client_secret } = await registerClient(server.provider, server.db, { client_name: 'API caller', grant_types: ['client_credentials'] });
    const before = (await (await clientCredentials(client_id, client_secret!, API)).json()) as { access_token: string };
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    expect(oldKid).toBeTruthy();

    await rotateKeys(server.db, env.KEY_ENCRYPTION_KEY, 3600);
    await restart();

    const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`));
    const { payload } = await jwtVerify(before.access_token, jwks, { issuer: server.url, audience: API, typ: 'at+jwt' });
    expect(payload.client_id).toBe(client_id);

    const after = (await (await clientCredentials(client_id, client_secret!, API)).json()) as { access_token: string };
    const newKid = decodeProtectedHeader(after.access_token).kid;
    expect(newKid).not.toBe(oldKid);
    await expect(jwtVerify(after.access_token, jwks, { issuer: server.url, audience: API })).resolves.toBeDefined();

    const published = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(published.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
  });

  it('publishes the keys of a rotation on every instance within the refresh time, also on one not restarted yet', async () => {
    await server.close();
    await server.db.destroy();
    server = await startTestServer({ db: tdb.open(), port, env, jwksRefreshMs: 200 });
    const { client_id, client_secret } = await registerClient(server.provider, server.db, { client_name: 'API caller 2', grant_types: ['client_credentials'] });
    const oldKids = ((await (await fetch(`${server.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

    await rotateKeys(server.db, env.KEY_ENCRYPTION_KEY, 3600);
    // A second instance of the same service, started after the rotation: it signs with the new keys.
    // (On the same database connection: the embedded database serves one instance at a time.)
    const other = await startTestServer({ db: server.db, port: await freePort(), env: { ...env, ISSUER: server.url }, jwksRefreshMs: 200 });
    try {
      const res = await fetch(`${other.url}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${client_id}:${client_secret!}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: API, scope: 'read' }),
      });
      const { access_token } = (await res.json()) as { access_token: string };
      expect(oldKids).not.toContain(decodeProtectedHeader(access_token).kid);

      // The instance started before the rotation publishes the new keys too (and still the old ones),
      // once it has read them again (every 200 ms here).
      const newKid = decodeProtectedHeader(access_token).kid!;
      let published: string[] = [];
      for (const until = Date.now() + 10_000; !published.includes(newKid) && Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 100));
        published = ((await (await fetch(`${server.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      }
      expect(published).toEqual(expect.arrayContaining([...oldKids, decodeProtectedHeader(access_token).kid]));
      const viaFirst = createRemoteJWKSet(new URL(`${server.url}/jwks`));
      await expect(jwtVerify(access_token, viaFirst, { issuer: server.url, audience: API })).resolves.toBeDefined();
      // Also to a browser (CORS): the provider answers, with the same keys.
      const cors = await fetch(`${server.url}/jwks`, { headers: { origin: 'https://rp.example.ch' } });
      expect(((await cors.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toEqual(published);
    } finally {
      await other.close();
    }
  });

  it('drops a retired key from the JWKS once its tokens have expired', async () => {
    const kids = (await server.db('signing_keys').whereNotNull('retired_at').pluck('kid')) as string[];
    expect(kids.length).toBeGreaterThan(0);
    await server.db('signing_keys').whereIn('kid', kids).update({ expires_at: new Date(Date.now() - 1000) });
    await restart();
    const published = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: { kid: string }[] };
    for (const kid of kids) expect(published.keys.map((k) => k.kid)).not.toContain(kid);
    expect(published.keys).toHaveLength(2);
  });

  it('refuses to start with a different key encryption key', async () => {
    await server.close();
    await server.db.destroy();
    const db = tdb.open();
    await expect(startTestServer({ db, port, env: { ...env, KEY_ENCRYPTION_KEY: 'z'.repeat(40) } })).rejects.toThrow(/KEY_ENCRYPTION_KEY/);
    await db.destroy();
    server = await start();
  });
});
