import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Db } from '../../src/db/index.js';
import { loadQorPolicy, parseQorPolicy } from '../../src/qor/policy-file.js';
import { loadCatalogue } from '../../src/qor/repository.js';
import { seedPolicy, TABLES } from '../../src/qor/seed.js';
import { migratedDb } from '../helpers/db.js';

let db: Db;
let cleanup: () => Promise<void>;
const policy = loadQorPolicy(path.resolve('policies/qor.json'));

beforeAll(async () => {
  ({ db, cleanup } = await migratedDb());
});
afterAll(async () => cleanup());

describe('policy seeding', () => {
  it('seeds the default policy once and loads it as a catalogue', async () => {
    const first = await seedPolicy(db, policy);
    expect(first).toEqual(expect.arrayContaining(['urn:servicecore:qor:100', 'urn:servicecore:qor:300', 'urn:servicecore:qor:400', 'urn:servicecore:lot:mobileid-ch']));
    expect(await seedPolicy(db, policy)).toEqual([]);
    const catalogue = await loadCatalogue(db);
    expect(catalogue.qors.map((q) => [q.systemName, q.steps])).toEqual([
      ['urn:servicecore:qor:100', 1],
      ['urn:servicecore:qor:300', 2],
      ['urn:servicecore:qor:400', 3],
    ]);
    const lot = catalogue.lots.find((l) => l.systemName === 'urn:servicecore:lot:mobileid-ch')!;
    expect(lot.checks.geofencing?.allowedCountries).toEqual(['CH', 'LI']);
    expect(catalogue.qoas.find((a) => a.id === lot.qoaId)?.systemName).toBe('urn:servicecore:qoa:mobileid-app');
  });

  it('never overwrites an edit nor brings back a deleted row', async () => {
    await db(TABLES.qor).where({ system_name: 'urn:servicecore:qor:300' }).update({ steps: 4, updated_by: 'admin' });
    await db(TABLES.lot).where({ system_name: 'urn:servicecore:lot:high' }).delete();
    expect(await seedPolicy(db, policy)).toEqual([]);
    expect((await db(TABLES.qor).where({ system_name: 'urn:servicecore:qor:300' }).first()).steps).toBe(4);
    expect(await db(TABLES.lot).where({ system_name: 'urn:servicecore:lot:high' }).first()).toBeUndefined();
  });

  it('adds rows that a newer default policy introduces', async () => {
    const extended = parseQorPolicy({
      ...policy,
      qualityOfRegistration: [...policy.qualityOfRegistration, { systemName: 'urn:servicecore:qor:500', nameKey: 'qor.500', steps: 5, strength: 'urn:servicecore:qor-strength:high' }],
    });
    expect(await seedPolicy(db, extended)).toEqual(['urn:servicecore:qor:500']);
  });

  it('names a broken reference in the policy file', async () => {
    const broken = parseQorPolicy({
      ...policy,
      qualityOfRegistration: [{ systemName: 'urn:x:qor', nameKey: 'x', steps: 1, strength: 'urn:missing' }],
    });
    await expect(seedPolicy(db, broken)).rejects.toThrow(/urn:x:qor refers to urn:missing/);
  });

  it('refuses a malformed policy file with the field named', () => {
    expect(() => parseQorPolicy({ ...policy, strengths: [{ systemName: 'x', nameKey: 'y', level: 'high' }] })).toThrow(/strengths\.0\.level/);
  });
});
