import { describe, expect, it } from 'vitest';

import { AppError, ConfigError } from '../../../src/errors.js';
import { catalogueIssues, QorSteps, validateCatalogue, type PolicyCatalogue } from '../../../src/qor/index.js';
import { autoOnlyCatalogue, lot, LOT_2, qoa, QOA_APP, qor, QOR_100, QOR_200, sampleCatalogue } from './fixtures.js';

function errorOf(c: PolicyCatalogue): ConfigError {
  try {
    validateCatalogue(c);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected validateCatalogue to throw');
}

const QOR_TABLE = 'servicecorelogin_quality_of_registration';
const LOT_TABLE = 'servicecorelogin_level_of_trust';
const QOA_TABLE = 'servicecorelogin_quality_of_authentication';

describe('validateCatalogue', () => {
  it('accepts the sample tables, Dummy rows included, and a table with only steps 1, 4 and 5', () => {
    expect(() => validateCatalogue(sampleCatalogue())).not.toThrow();
    expect(() => validateCatalogue(autoOnlyCatalogue())).not.toThrow();
    expect(() => validateCatalogue({ strengths: [], qors: [], qoas: [], lots: [] })).not.toThrow();
  });

  it.each([6, -1, 2.5, Number.NaN, '4'])('refuses the steps value %s, naming the row', (steps) => {
    const c = sampleCatalogue();
    const bad = { ...c, qors: [...c.qors, qor(77, 'urn:servicecore:qor:777', steps as QorSteps, 1)] };
    const err = errorOf(bad);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain(`${QOR_TABLE} id 77 (urn:servicecore:qor:777): steps ${steps} is not a QualityOfRegistrationSteps value`);
  });

  it('refuses a system_name used twice within a table', () => {
    const c = sampleCatalogue();
    const err = errorOf({ ...c, qors: [...c.qors, qor(88, QOR_200, QorSteps.Auto, 1)] });
    expect(err.message).toContain(`${QOR_TABLE} id 88 (${QOR_200}): system_name is already used by ${QOR_TABLE} id 20 (${QOR_200})`);
  });

  it('refuses a system_name shared by a QoR and a LoT, or a LoT and a QoA', () => {
    const c = sampleCatalogue();
    expect(errorOf({ ...c, lots: [...c.lots, lot(50, QOR_100, 1, 1)] }).message).toContain(
      `${LOT_TABLE} id 50 (${QOR_100}): system_name is already used by ${QOR_TABLE} id 10 (${QOR_100})`,
    );
    expect(errorOf({ ...c, qoas: [...c.qoas, qoa(9, LOT_2, 3)] }).message).toContain(
      `${QOA_TABLE} id 9 (${LOT_2}): system_name is already used by ${LOT_TABLE} id 2 (${LOT_2})`,
    );
  });

  it('refuses a LoT that references a missing QoA or strength', () => {
    const c = sampleCatalogue();
    expect(errorOf({ ...c, lots: [...c.lots, lot(60, 'urn:lot:60', 42, 1)] }).message).toContain(
      `${LOT_TABLE} id 60 (urn:lot:60): quality_of_authentication_id 42 does not exist`,
    );
    expect(errorOf({ ...c, lots: [...c.lots, lot(61, 'urn:lot:61', 1, 43)] }).message).toContain(
      `${LOT_TABLE} id 61 (urn:lot:61): quality_of_registration_strength_id 43 does not exist`,
    );
  });

  it('refuses a QoR that references a missing strength', () => {
    const c = sampleCatalogue();
    expect(errorOf({ ...c, qors: [...c.qors, qor(70, 'urn:qor:70', QorSteps.None, 44)] }).message).toContain(
      `${QOR_TABLE} id 70 (urn:qor:70): quality_of_registration_strength_id 44 does not exist`,
    );
  });

  it('reports every problem at once', () => {
    const c: PolicyCatalogue = {
      strengths: [],
      qors: [qor(1, 'urn:a', 9 as QorSteps, 1)],
      qoas: [qoa(1, QOA_APP, 1)],
      lots: [lot(1, 'urn:a', 2, 3)],
    };
    expect(catalogueIssues(c)).toEqual([
      `${QOR_TABLE} id 1 (urn:a): steps 9 is not a QualityOfRegistrationSteps value (0..5)`,
      `${QOR_TABLE} id 1 (urn:a): quality_of_registration_strength_id 1 does not exist`,
      `${LOT_TABLE} id 1 (urn:a): system_name is already used by ${QOR_TABLE} id 1 (urn:a)`,
      `${LOT_TABLE} id 1 (urn:a): quality_of_authentication_id 2 does not exist`,
      `${LOT_TABLE} id 1 (urn:a): quality_of_registration_strength_id 3 does not exist`,
    ]);
    expect(errorOf(c).message).toContain(catalogueIssues(c).join('; '));
    expect(catalogueIssues(sampleCatalogue())).toEqual([]);
  });
});
