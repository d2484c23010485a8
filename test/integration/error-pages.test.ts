import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server.js';
import { registerClient } from '../../src/oidc/clients.js';
import { migratedDb } from '../helpers/db.js';
import { startTestServer } from '../helpers/server.js';

let server: RunningServer;
let cleanup: () => Promise<void>;
let clientId: string;
const redirectUri = 'https://rp.example.ch/callback';

beforeAll(async () => {
  const t = await migratedDb();
  cleanup = t.cleanup;
  server = await startTestServer({ db: t.db });
  ({ client_id: clientId } = await registerClient(server.provider, server.db, { client_name: 'Example RP', redirect_uris: [redirectUri] }));
});
afterAll(async () => {
  await server.close();
  await cleanup();
});

function authUrl(params: Record<string, string>): string {
  const base = { scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };
  return `${server.url}/auth?${new URLSearchParams({ ...base, ...params }).toString()}`;
}

describe('error pages at the authorization endpoint', () => {
  it('explains an unknown client in the user language without redirecting', async () => {
    const res = await fetch(authUrl({ client_id: 'nobody', response_type: 'code', redirect_uri: redirectUri }), {
      redirect: 'manual',
      headers: { 'accept-language': 'de-CH,de;q=0.9,en;q=0.5' },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    const html = await res.text();
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('ist bei uns nicht registriert');
    expect(html).toContain('invalid_client');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('refuses an unregistered redirect_uri without redirecting to it', async () => {
    const res = await fetch(authUrl({ client_id: clientId, response_type: 'code', redirect_uri: 'https://evil.example/cb', ui_locales: 'fr' }), { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    const html = await res.text();
    expect(html).toContain('adresse non enregistrée');
    expect(html).not.toContain('https://evil.example/cb');
  });

  it('explains a missing redirect_uri as an incomplete request, not as an unregistered address', async () => {
    const res = await fetch(authUrl({ client_id: clientId, response_type: 'code', ui_locales: 'de' }), { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    const html = await res.text();
    expect(html).toContain('Die Anmeldeanfrage des Dienstes ist unvollständig oder ungültig');
    expect(html).not.toContain('nicht registrierte Adresse');
  });

  it('sends a missing response_type back to the registered redirect_uri with iss (RFC 9207)', async () => {
    const res = await fetch(authUrl({ client_id: clientId, redirect_uri: redirectUri, state: 'xyz' }), { redirect: 'manual' });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/response_type/);
    expect(location.searchParams.get('state')).toBe('xyz');
    expect(location.searchParams.get('iss')).toBe(server.url);
  });

  it('refuses a request without PKCE', async () => {
    const url = new URL(authUrl({ client_id: clientId, response_type: 'code', redirect_uri: redirectUri }));
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const res = await fetch(url, { redirect: 'manual' });
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('refuses the plain PKCE method', async () => {
    const res = await fetch(authUrl({ client_id: clientId, response_type: 'code', redirect_uri: redirectUri, code_challenge_method: 'plain' }), { redirect: 'manual' });
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).toBe('invalid_request');
  });

  it('renders an expired or unknown interaction as a translated page', async () => {
    const res = await fetch(`${server.url}/interaction/does-not-exist`, { headers: { 'accept-language': 'it' } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Questo accesso è scaduto');
  });

  it('starts a valid request at the login page in the language of ui_locales', async () => {
    const res = await fetch(authUrl({ client_id: clientId, response_type: 'code', redirect_uri: redirectUri, ui_locales: 'de-CH fr' }), { redirect: 'manual' });
    expect(res.status).toBe(303);
    const interaction = new URL(res.headers.get('location') ?? '', server.url);
    expect(interaction.pathname).toMatch(/^\/interaction\//);
    const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const page = await fetch(interaction, { headers: { cookie: cookies } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Mit Mobile ID anmelden');
    expect(html).toContain('Example RP');
    expect(html).toMatch(/name="csrf" value="[\w-]{20,}"/);
  });
});

describe('a path nobody serves', () => {
  it('answers 404 with a translated page, or JSON when asked for', async () => {
    const page = await fetch(`${server.url}/nowhere/at-all`, { headers: { 'accept-language': 'fr', accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('Cette page n&#39;existe pas.');
    const json = await fetch(`${server.url}/nowhere`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(await json.json()).toEqual({ error: 'not_found', message: 'This page does not exist.' });
  });

  it('leaves the answers of the endpoints alone', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const discovery = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
  });
});
