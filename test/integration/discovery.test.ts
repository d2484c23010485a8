import { importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server.js';
import { migratedDb } from '../helpers/db.js';
import { startTestServer } from '../helpers/server.js';

let server: RunningServer;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const t = await migratedDb();
  cleanup = t.cleanup;
  server = await startTestServer({ db: t.db });
});
afterAll(async () => {
  await server.close();
  await cleanup();
});

describe('discovery (as the OpenID Config OP certification checks it)', () => {
  it('publishes a consistent configuration', async () => {
    const res = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const d = (await res.json()) as Record<string, unknown>;
    expect(d.issuer).toBe(server.url);
    for (const ep of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint', 'introspection_endpoint', 'revocation_endpoint']) {
      expect(String(d[ep]), ep).toMatch(new RegExp(`^${server.url}/`));
    }
    expect(d.id_token_signing_alg_values_supported).toContain('RS256');
    expect(d.code_challenge_methods_supported).toEqual(['S256']);
    expect(d.response_types_supported).toEqual(['code']);
    expect(d.subject_types_supported).toContain('public');
    expect(d.scopes_supported).toContain('openid');
    expect(d.claims_supported).toEqual(expect.arrayContaining(['sub', 'fulfilled_qors', 'arm_values', 'amr']));
    expect(d.authorization_response_iss_parameter_supported).toBe(true);
    expect(d.claims_parameter_supported).toBe(true);
    expect(d.token_endpoint_auth_methods_supported).not.toContain('client_secret_jwt');
  });

  it('serves a valid JWKS with public keys only, RS256 and ES256', async () => {
    const d = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    const jwks = (await (await fetch(d.jwks_uri)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of jwks.keys) {
      expect(key.d).toBeUndefined();
      expect(typeof key.kid).toBe('string');
      await expect(importJWK(key as Parameters<typeof importJWK>[0])).resolves.toBeDefined();
    }
  });

  it('answers later requests for discovery and JWKS with the same document and headers, and browsers with their CORS answer', async () => {
    for (const path of ['/.well-known/openid-configuration', '/jwks']) {
      const [first, second] = [await fetch(`${server.url}${path}`), await fetch(`${server.url}${path}`)];
      expect(await second.text()).toBe(await first.text());
      for (const header of ['content-type', 'access-control-allow-origin', 'vary', 'content-security-policy']) {
        expect(second.headers.get(header), `${path} ${header}`).toBe(first.headers.get(header));
      }
      expect(second.headers.get('access-control-allow-origin')).toBe('*');
      expect(second.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
      const fromBrowser = await fetch(`${server.url}${path}`, { headers: { origin: 'https://spa.example.ch' } });
      expect(fromBrowser.headers.get('access-control-allow-origin')).toBe('https://spa.example.ch');
      expect(await fromBrowser.json()).toEqual(await (await fetch(`${server.url}${path}`)).json());
      const head = await fetch(`${server.url}${path}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    }
    expect((await fetch(`${server.url}/jwks`)).headers.get('content-type')).toMatch(/^application\/jwk-set\+json/);
  });

  it('sets the security headers on every response', async () => {
    const res = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('reports health and readiness', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', database: 'ok' });
  });
});
