/**
 * The admin JSON API as automation uses it: a client_credentials token with the `admin` scope
 * lists, creates, edits and deletes policy rows; invalid rows are refused field by field; every
 * change is in the audit log; and an edit changes the claims of the very next login.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registerClient } from '../../src/oidc/clients.js';
import type { RunningServer } from '../../src/server.js';
import { Browser } from '../helpers/browser.js';
import { createRp, redeem, submitPhone, type Rp } from '../helpers/rp.js';
import { startSandboxServer } from '../helpers/server.js';

const QOR_100 = 'urn:servicecore:qor:100';
const QOR_300 = 'urn:servicecore:qor:300';
const INSTANT = '+41700092501';

let server: RunningServer;
let cleanup: () => Promise<void>;
let token: string;
let automationClientId: string;
let rp: Rp;

interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

/** A call with the automation token, another token, or none (`null`). */
async function api(method: string, path: string, body?: unknown, bearer: string | null = token): Promise<ApiResponse> {
  const res = await fetch(`${server.url}/admin/api${path}`, {
    method,
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      'accept-language': 'en',
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** A client_credentials client as an operator registers it, and a token of it. */
async function clientToken(metadata: { scope?: string }, requested?: string): Promise<{ clientId: string; accessToken: string; scope: string | undefined }> {
  const reg = await registerClient(server.provider, server.db, { client_name: 'Policy automation', grant_types: ['client_credentials'], ...metadata });
  const config = await oidc.discovery(new URL(server.url), reg.client_id, undefined, oidc.ClientSecretBasic(reg.client_secret!), { execute: [oidc.allowInsecureRequests] });
  const tokens = await oidc.clientCredentialsGrant(config, requested ? { scope: requested } : {});
  return { clientId: reg.client_id, accessToken: tokens.access_token, scope: tokens.scope };
}

function fieldsOf(res: ApiResponse): Record<string, string> {
  expect(res.body?.error, JSON.stringify(res.body)).toBe('invalid_row');
  return Object.fromEntries((res.body.fields as { field: string; code: string }[]).map((f) => [f.field, f.code]));
}

async function rowByName(segment: string, systemName: string): Promise<any> {
  const list = await api('GET', `/${segment}`);
  expect(list.status).toBe(200);
  const row = (list.body.items as { system_name: string }[]).find((r) => r.system_name === systemName);
  expect(row, `${systemName} in /${segment}`).toBeDefined();
  return row;
}

/** A fresh Mobile ID login with a number that confirms at once; returns the id_token claims. */
async function freshLoginClaims(): Promise<Record<string, unknown>> {
  const browser = new Browser({ 'accept-language': 'en' });
  const done = await submitPhone(server, browser, await rp.begin(browser), INSTANT);
  return (await redeem(rp, done)).claims()!;
}

beforeAll(async () => {
  ({ server, cleanup } = await startSandboxServer());
  const admin = await clientToken({ scope: 'admin' }, 'admin');
  token = admin.accessToken;
  automationClientId = admin.clientId;
  expect(admin.scope).toBe('admin');
  rp = await createRp(server);
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

describe('admin API authentication', () => {
  it('answers 401 without a token, and with a token it does not know', async () => {
    const none = await api('GET', '/qors', undefined, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const unknown = await api('GET', '/qors', undefined, 'not-a-token');
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe('invalid_token');
    const write = await api('POST', '/strengths', { system_name: 'urn:x:y', name_key: 'x', level: 1 }, null);
    expect(write.status).toBe(401);
  });

  it('answers 403 to a client without the admin scope', async () => {
    const plain = await clientToken({ scope: 'phone' });
    const res = await api('GET', '/qors', undefined, plain.accessToken);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('insufficient_scope');
  });

  it('answers 403 to a client that is not registered with the admin scope, even when its token says admin', async () => {
    // A client registered without any scope may ask the token endpoint for every scope.
    const unscoped = await clientToken({}, 'admin');
    expect(unscoped.scope).toBe('admin');
    const res = await api('GET', '/qors', undefined, unscoped.accessToken);
    expect(res.status).toBe(403);
    const created = await api('POST', '/strengths', { system_name: 'urn:servicecore:qor-strength:sneaky', name_key: 'x', level: 1 }, unscoped.accessToken);
    expect(created.status).toBe(403);
    expect((await api('GET', '/strengths')).body.items.map((s: { system_name: string }) => s.system_name)).not.toContain('urn:servicecore:qor-strength:sneaky');
  });
});

describe('admin API rows', () => {
  it('lists every table with the seeded rows', async () => {
    const qor = await rowByName('qors', QOR_300);
    expect(qor).toMatchObject({ name_key: 'qor.300', steps: 2 });
    expect(typeof qor.quality_of_registration_strength_id).toBe('number');
    expect((await api('GET', '/strengths')).body.items.length).toBe(3);
    expect((await api('GET', '/qoas')).body.items.map((q: { method: string }) => q.method).sort()).toEqual(['mobileid-app', 'mobileid-sim']);
    const lot = await rowByName('lots', 'urn:servicecore:lot:mobileid-ch');
    expect(lot.checks.geofencing.allowedCountries).toEqual(['CH', 'LI']);
    const one = await api('GET', `/qors/${qor.id}`);
    expect(one.body.system_name).toBe(QOR_300);
    expect((await api('GET', '/qors/999999')).status).toBe(404);
    expect((await api('GET', '/qors/abc')).status).toBe(404);
  });

  it('creates, edits and deletes rows, each change audited with before and after', async () => {
    const strength = await api('POST', '/strengths', { system_name: 'urn:servicecore:qor-strength:test', name_key: 'qor.strength.test', level: 350 });
    expect(strength.status, JSON.stringify(strength.body)).toBe(201);
    expect(strength.headers.get('location')).toBe(`/admin/api/strengths/${strength.body.id}`);
    expect(strength.body).toMatchObject({ level: 350, created_by: `client:${automationClientId}` });

    const created = await api('POST', '/qors', {
      system_name: 'urn:servicecore:qor:350',
      name_key: 'qor.350',
      steps: 4,
      quality_of_registration_strength_id: strength.body.id,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as number;
    expect((await api('GET', `/qors/${id}`)).body.steps).toBe(4);

    // PUT replaces the row; fields read back from a GET (id, timestamps) may be sent along.
    const put = await api('PUT', `/qors/${id}`, { ...created.body, steps: 5 });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.steps).toBe(5);
    expect(put.body.updated_by).toBe(`client:${automationClientId}`);

    const patch = await api('PATCH', `/qors/${id}`, { name_key: 'qor.350.renamed' });
    expect(patch.status, JSON.stringify(patch.body)).toBe(200);
    expect(patch.body).toMatchObject({ name_key: 'qor.350.renamed', steps: 5 });

    const lot = await api('POST', '/lots', {
      system_name: 'urn:servicecore:lot:test',
      name_key: 'lot.test',
      quality_of_authentication_id: (await rowByName('qoas', 'urn:servicecore:qoa:mobileid-app')).id,
      quality_of_registration_strength_id: strength.body.id,
      checks: { geofencing: { required: true, allowedCountries: ['CH'] } },
    });
    expect(lot.status, JSON.stringify(lot.body)).toBe(201);
    // Stored as the login applies them: thresholds left out are written with their defaults.
    expect(lot.body.checks).toEqual({ geofencing: { required: true, allowedCountries: ['CH'], minLocationConfidence: 0.7 } });

    // Saving a row unchanged (here with its checks' keys in another order) is no change.
    const same = await api('PUT', `/lots/${lot.body.id}`, { ...lot.body, checks: { geofencing: { minLocationConfidence: 0.7, allowedCountries: ['CH'], required: true } } });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    const lotTrail = await api('GET', `/audit?subject=${encodeURIComponent('lot:urn:servicecore:lot:test')}`);
    expect(lotTrail.body.items.map((e: { action: string }) => e.action)).toEqual(['policy.lot.create']);

    const qoa = await api('POST', '/qoas', { system_name: 'urn:servicecore:qoa:test', name_key: 'qoa.test', level: 3, method: 'test-method' });
    expect(qoa.status, JSON.stringify(qoa.body)).toBe(201);
    expect((await api('DELETE', `/qoas/${qoa.body.id}`)).status).toBe(204);

    expect((await api('DELETE', `/lots/${lot.body.id}`)).status).toBe(204);
    expect((await api('DELETE', `/qors/${id}`)).status).toBe(204);
    expect((await api('GET', `/qors/${id}`)).status).toBe(404);
    expect((await api('DELETE', `/qors/${id}`)).status).toBe(404);
    expect((await api('DELETE', `/strengths/${strength.body.id}`)).status).toBe(204);

    const trail = await api('GET', `/audit?subject=${encodeURIComponent('qor:urn:servicecore:qor:350')}`);
    expect(trail.status).toBe(200);
    const events = trail.body.items as { action: string; actor: string; before: any; after: any; at: string }[];
    expect(events.map((e) => e.action)).toEqual(['policy.qor.delete', 'policy.qor.update', 'policy.qor.update', 'policy.qor.create']);
    expect(events.every((e) => e.actor === `client:${automationClientId}` && typeof e.at === 'string')).toBe(true);
    const [deleted, patched, replaced, create] = events as [(typeof events)[0], (typeof events)[0], (typeof events)[0], (typeof events)[0]];
    expect(create.before).toBeNull();
    expect(create.after).toMatchObject({ id, system_name: 'urn:servicecore:qor:350', steps: 4 });
    expect(replaced.before).toMatchObject({ steps: 4 });
    expect(replaced.after).toMatchObject({ steps: 5 });
    expect(patched.before).toMatchObject({ name_key: 'qor.350' });
    expect(patched.after).toMatchObject({ name_key: 'qor.350.renamed' });
    expect(deleted.before).toMatchObject({ id, steps: 5 });
    expect(deleted.after).toBeNull();

    const all = await api('GET', '/audit?action=policy.');
    const subjects = new Set((all.body.items as { subject: string }[]).map((e) => e.subject));
    for (const subject of ['strength:urn:servicecore:qor-strength:test', 'lot:urn:servicecore:lot:test', 'qoa:urn:servicecore:qoa:test']) {
      expect(subjects).toContain(subject);
    }
  });

  it('refuses invalid rows with the field named, and changes nothing', async () => {
    const strengthId = (await rowByName('qors', QOR_100)).quality_of_registration_strength_id as number;
    const valid = { system_name: 'urn:servicecore:qor:999', name_key: 'qor.999', steps: 4, quality_of_registration_strength_id: strengthId };
    const auditBefore = (await api('GET', '/audit?action=policy.')).body.items.length;

    const dummy = await api('POST', '/qors', { ...valid, steps: 0 });
    expect(dummy.status).toBe(400);
    expect(fieldsOf(dummy)).toEqual({ steps: 'steps_dummy' });
    expect(dummy.body.fields[0].message).toMatch(/Dummy/);

    const nine = await api('POST', '/qors', { ...valid, steps: 9 });
    expect(nine.status).toBe(400);
    expect(fieldsOf(nine)).toEqual({ steps: 'steps_range' });

    const { name_key: _omitted, ...noNameKey } = valid;
    const missing = await api('POST', '/qors', noNameKey);
    expect(missing.status).toBe(400);
    expect(fieldsOf(missing)).toEqual({ name_key: 'required' });
    expect(missing.body.fields[0].message).toBe('This field is required.');

    const duplicate = await api('POST', '/qors', { ...valid, system_name: QOR_100 });
    expect(duplicate.status).toBe(400);
    expect(fieldsOf(duplicate)).toEqual({ system_name: 'duplicate' });
    // system_name is unique across the QoR, LoT, QoA and strength tables.
    const acrostables = await api('POST', '/qors', { ...valid, system_name: 'urn:servicecore:lot:substantial' });
    expect(fieldsOf(acrostables)).toEqual({ system_name: 'duplicate' });

    const unknownStrength = await api('POST', '/qors', { ...valid, quality_of_registration_strength_id: 99_999 });
    expect(unknownStrength.status).toBe(400);
    expect(fieldsOf(unknownStrength)).toEqual({ quality_of_registration_strength_id: 'reference_missing' });

    const several = await api('POST', '/qors', { system_name: 'has space', steps: 'two', extra: 1 });
    expect(several.status).toBe(400);
    expect(fieldsOf(several)).toEqual({
      system_name: 'system_name_format',
      name_key: 'required',
      steps: 'integer',
      quality_of_registration_strength_id: 'required',
      extra: 'unknown_field',
    });

    const geofence = await api('POST', '/lots', {
      system_name: 'urn:servicecore:lot:bad',
      name_key: 'lot.bad',
      quality_of_authentication_id: (await rowByName('qoas', 'urn:servicecore:qoa:mobileid-app')).id,
      quality_of_registration_strength_id: strengthId,
      checks: { geofencing: { required: true, minLocationConfidence: 7 } },
    });
    expect(geofence.status).toBe(400);
    expect(fieldsOf(geofence)).toEqual({ checks: 'checks_invalid' });
    expect(geofence.body.fields[0].message).toMatch(/geofencing\.minLocationConfidence/);

    const qor300 = await rowByName('qors', QOR_300);
    const editDummy = await api('PATCH', `/qors/${qor300.id}`, { steps: 0 });
    expect(editDummy.status).toBe(400);
    expect(fieldsOf(editDummy)).toEqual({ steps: 'steps_dummy' });
    const renameOnto = await api('PATCH', `/qors/${qor300.id}`, { system_name: QOR_100 });
    expect(fieldsOf(renameOnto)).toEqual({ system_name: 'duplicate' });

    expect((await api('GET', `/qors/${qor300.id}`)).body).toMatchObject({ system_name: QOR_300, steps: 2 });
    expect((await api('GET', '/qors')).body.items.map((q: { system_name: string }) => q.system_name)).not.toContain('urn:servicecore:qor:999');
    expect((await api('GET', '/audit?action=policy.')).body.items.length).toBe(auditBefore);
  });

  it('refuses to delete a row that is still referenced', async () => {
    const qor300 = await rowByName('qors', QOR_300);
    const strengthId = qor300.quality_of_registration_strength_id as number;
    const res = await api('DELETE', `/strengths/${strengthId}`);
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('in_use');
    expect(res.body.referenced_by).toEqual(expect.arrayContaining([QOR_300, 'urn:servicecore:lot:substantial']));
    expect(res.body.message).toMatch(/still used by/);
    expect((await api('GET', `/strengths/${strengthId}`)).status).toBe(200);

    const app = await rowByName('qoas', 'urn:servicecore:qoa:mobileid-app');
    const qoa = await api('DELETE', `/qoas/${app.id}`);
    expect(qoa.status).toBe(409);
    expect(qoa.body.referenced_by).toContain('urn:servicecore:lot:mobileid-ch');

    // The level administrators log in at (ADMIN_ACR) cannot be removed or renamed from under them.
    const sim = await rowByName('qoas', 'urn:servicecore:qoa:mobileid-sim');
    expect((await api('DELETE', `/qoas/${sim.id}`)).body.referenced_by).toContain('ADMIN_ACR');
    const rename = await api('PATCH', `/qoas/${sim.id}`, { system_name: 'urn:servicecore:qoa:renamed' });
    expect(rename.status).toBe(409);
    expect(rename.body.referenced_by).toContain('ADMIN_ACR');

    // A relying party's minimum_acr keeps its row too.
    const strict = await createRp(server, { client_name: 'Strict Service', minimum_acr: QOR_100 });
    const qor100 = await rowByName('qors', QOR_100);
    const blocked = await api('DELETE', `/qors/${qor100.id}`);
    expect(blocked.status).toBe(409);
    expect(blocked.body.referenced_by).toEqual([`client ${strict.clientId}`]);
  });
});

describe('an edit in the admin API', () => {
  it("changes the next login's claims", async () => {
    const before = await freshLoginClaims();
    expect(before.fulfilled_qors).toEqual([QOR_100]);

    const qor300 = await rowByName('qors', QOR_300);
    const edited = await api('PUT', `/qors/${qor300.id}`, {
      system_name: QOR_300,
      name_key: qor300.name_key,
      steps: 1,
      quality_of_registration_strength_id: qor300.quality_of_registration_strength_id,
    });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);

    const after = await freshLoginClaims();
    expect(after.fulfilled_qors).toEqual([QOR_100, QOR_300]);

    const trail = await api('GET', `/audit?subject=${encodeURIComponent(`qor:${QOR_300}`)}`);
    expect(trail.body.items[0]).toMatchObject({ action: 'policy.qor.update', before: { steps: 2 }, after: { steps: 1 } });
  });
});
