import {
  METHOD_KINDS,
  QorSteps,
  type LevelOfTrust,
  type MethodKind,
  type PolicyCatalogue,
  type Qoa,
  type HeldVerification,
  type Qor,
  type QorStrength,
  type Verification,
} from '../../../src/qor/index.js';
import type { PersonIdentity } from '../../../src/identity/index.js';

export const strength = (id: number, level: number): QorStrength => ({ id, level, nameKey: `qor.strength.${level}` });

export const qor = (id: number, systemName: string, steps: QorSteps, strengthId: number): Qor => ({
  id,
  systemName,
  nameKey: `qor.${id}`,
  steps,
  strengthId,
});

export const qoa = (id: number, systemName: string, level: number, method = 'mobileid-sim'): Qoa => ({
  id,
  systemName,
  level,
  method,
  nameKey: `qoa.${id}`,
});

export const lot = (id: number, systemName: string, qoaId: number, qorStrengthId: number, checks: LevelOfTrust['checks'] = {}): LevelOfTrust => ({
  id,
  systemName,
  nameKey: `lot.${id}`,
  qoaId,
  qorStrengthId,
  checks,
});

export const QOR_100 = 'urn:servicecore:qor:100';
export const QOR_200 = 'urn:servicecore:qor:200';
export const QOR_300 = 'urn:servicecore:qor:300';
export const QOR_DUMMY = 'urn:servicecore:qor:dummy';
export const QOA_APP = 'urn:servicecore:qoa:mobileid-app';
export const QOA_SIM = 'urn:servicecore:qoa:mobileid-sim';
export const LOT_1 = 'urn:servicecore:lot:1';
export const LOT_2 = 'urn:servicecore:lot:2';
export const LOT_2_CH = 'urn:servicecore:lot:2-ch';
export const LOT_3 = 'urn:servicecore:lot:3';

/**
 * The sample configuration of the QoR spec (QoR1 None, QoR2 AutoOrManual, QoR3 AutoOrManual and
 * AHV), plus a Dummy row placed so that it would be the weakest candidate at strength 200 if the
 * engine did not skip it.
 */
export function sampleCatalogue(): PolicyCatalogue {
  return {
    strengths: [strength(3, 300), strength(1, 100), strength(2, 200)],
    qors: [
      qor(30, QOR_300, QorSteps.AutoOrManualAndAhv, 3),
      qor(10, QOR_100, QorSteps.None, 1),
      qor(5, QOR_DUMMY, QorSteps.Dummy, 2),
      qor(20, QOR_200, QorSteps.AutoOrManual, 2),
    ],
    qoas: [qoa(1, QOA_APP, 1, 'mobileid-app'), qoa(2, QOA_SIM, 2, 'mobileid-sim')],
    lots: [
      lot(1, LOT_1, 1, 1),
      lot(2, LOT_2, 1, 2),
      lot(3, LOT_2_CH, 1, 2, { geofencing: { required: true, allowedCountries: ['CH', 'LI'], minLocationConfidence: 0.7 } }),
      lot(4, LOT_3, 2, 3),
    ],
  };
}

export const QOR_NONE = 'urn:servicecore:qor:none';
export const QOR_AUTO = 'urn:servicecore:qor:auto';
export const QOR_AUTO_AHV = 'urn:servicecore:qor:auto-ahv';
export const LOT_AUTO = 'urn:servicecore:lot:auto';
export const LOT_AUTO_AHV = 'urn:servicecore:lot:auto-ahv';

/** The spec's example of a table with only the steps 1, 4 and 5. */
export function autoOnlyCatalogue(): PolicyCatalogue {
  return {
    strengths: [strength(1, 100), strength(2, 200), strength(3, 300)],
    qors: [qor(1, QOR_NONE, QorSteps.None, 1), qor(4, QOR_AUTO, QorSteps.Auto, 2), qor(5, QOR_AUTO_AHV, QorSteps.AutoAndAhv, 3)],
    qoas: [qoa(1, QOA_APP, 1, 'mobileid-app')],
    lots: [lot(1, LOT_AUTO, 1, 2), lot(2, LOT_AUTO_AHV, 1, 3)],
  };
}

/** All 8 subsets of {auto, manual, ahv}. */
export const ALL_KIND_SETS: readonly MethodKind[][] = [0, 1, 2, 3, 4, 5, 6, 7].map((bits) =>
  METHOD_KINDS.filter((_, i) => (bits >> i) & 1),
);

/** The person of the held verifications below: every one of them is about her. */
export const ANNA: PersonIdentity = { givenNames: 'Anna Maria', familyName: 'Muster', birthDate: '1985-03-14' };

/** Verifications that count now, one per kind, all about the same person. */
export const held = (...k: MethodKind[]): HeldVerification[] => k.map((kind) => ({ kind, identity: ANNA }));

export const NOW = new Date('2025-03-01T12:00:00Z');
export const SERIAL = 'MIDCHEGU8GSH6K83';

export function verification(overrides: Partial<Verification> = {}): Verification {
  return {
    id: 'v1',
    method: 'srs-video',
    kind: 'auto',
    status: 'approved',
    verifiedAt: new Date('2024-01-01T00:00:00Z'),
    expiresAt: new Date('2029-01-01T00:00:00Z'),
    boundSerial: SERIAL,
    ...overrides,
  };
}
