import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startSrsSimulator, token, type RunningSrsSimulator } from './srs-helpers.js';

let s: RunningSrsSimulator;
beforeAll(async () => {
  s = await startSrsSimulator();
});
afterAll(() => s.close());

const START = { firstName: 'Hans', lastName: 'Muster', dob: '1978-02-28', mobile: '+41783478228', email: 'hans@example.ch', language: 'en', externalId: 'ext-1' };

async function start(bearer: string, body: Record<string, unknown> = START, path = 'Video-ISP/video') {
  return fetch(`${s.endpoints.url}/api/providers/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/vnd.sc.miss.provider.v1+json' },
    body: JSON.stringify(body),
  });
}

describe('SRS simulator REST API', () => {
  it('issues tokens for the configured client only (Basic, body or query as in the Postman samples)', async () => {
    expect(await token(s)).toMatch(/^[\w-]{20,}$/);
    const query = await fetch(`${s.endpoints.tokenUrl}?client_id=${s.endpoints.clientId}&client_secret=${s.endpoints.clientSecret}&grant_type=client_credentials&scope=miss`, { method: 'POST' });
    expect(query.status).toBe(200);
    const wrong = await fetch(s.endpoints.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${s.endpoints.clientId}&client_secret=wrong` });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'invalid_client' });
  });

  it('lists the catalogue with the documented filters, behind the bearer token', async () => {
    expect((await fetch(`${s.endpoints.url}/api/providers`)).status).toBe(401);
    const t = await token(s);
    const get = async (q: string) => (await (await fetch(`${s.endpoints.url}/api/providers?${q}`, { headers: { authorization: `Bearer ${t}` } })).json()) as { issuer: string }[];
    expect((await get('')).length).toBe(5);
    expect((await get('issuer=Test-ISP&jurisdiction=EIDAS&loa=3&offline=true&realtimeMethod=test&webflow=true')).map((e) => e.issuer)).toEqual(['Test-ISP']);
    expect((await get('realtimeMethod=video&webflow=true')).map((e) => e.issuer)).toEqual(['Test-ISP', 'Video-ISP']);
    expect((await get('loa=4&jurisdiction=EIDAS&realtimeMethod=aml-bank')).map((e) => e.issuer)).toEqual(['KLARNA']);
    expect((await get('webflow=false')).map((e) => e.issuer)).toEqual(['Courier-ISP']);
  });

  it('starts an identification (refId, targetURL) and reports its status history', async () => {
    const t = await token(s);
    const res = await start(t);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { refId: string; error: null; targetURL: string };
    expect(body.error).toBeNull();
    expect(body.refId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.targetURL).toMatch(new RegExp(`^${s.origin}/srs/isp/[\\w-]+$`));
    const status = (await (await fetch(`${s.endpoints.url}/api/identifications/${body.refId}`, { headers: { authorization: `Bearer ${t}` } })).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ refId: body.refId, issuer: 'Video-ISP', adapter: 'fake', method: 'video', mobile: '+41783478228', evidenceId: null });
    expect((status.statuses as { status: string }[]).map((x) => x.status)).toEqual(['created', 'initialized']);
    expect(status.identificationData).toBeUndefined();
  });

  it('refuses unknown methods, missing data and unknown identifications', async () => {
    const t = await token(s);
    expect((await start(t, START, 'Video-ISP/aml-bank')).status).toBe(404);
    const missing = await start(t, { ...START, dob: '' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ refId: null, error: 'dob is missing' });
    expect((await fetch(`${s.endpoints.url}/api/identifications/nope`, { headers: { authorization: `Bearer ${t}` } })).status).toBe(404);
    expect((await start('not-a-token')).status).toBe(401);
  });

  it('publishes its callback signing key as a JWKS', async () => {
    const jwks = (await (await fetch(s.endpoints.callbackJwksUrl)).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]!.d).toBeUndefined();
  });
});
