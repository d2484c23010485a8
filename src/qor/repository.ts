/** Reads the policy tables into the engine's model. */
import type { Db } from '../db/index.js';
import type { LevelOfTrust, PolicyCatalogue, Qoa, Qor, QorStrength } from './model.js';
import { TABLES } from './seed.js';

const parseJson = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export async function loadCatalogue(db: Db): Promise<PolicyCatalogue> {
  const [strengths, qors, qoas, lots] = await Promise.all([
    db(TABLES.strength).select('id', 'level', 'name_key').orderBy('level'),
    db(TABLES.qor).select('id', 'system_name', 'name_key', 'steps', 'quality_of_registration_strength_id').orderBy('id'),
    db(TABLES.qoa).select('id', 'system_name', 'name_key', 'level', 'method').orderBy('level'),
    db(TABLES.lot).select('id', 'system_name', 'name_key', 'quality_of_authentication_id', 'quality_of_registration_strength_id', 'checks').orderBy('id'),
  ]);
  return {
    strengths: strengths.map((r): QorStrength => ({ id: r.id, level: r.level, nameKey: r.name_key })),
    qors: qors.map((r): Qor => ({ id: r.id, systemName: r.system_name, nameKey: r.name_key, steps: r.steps, strengthId: r.quality_of_registration_strength_id })),
    qoas: qoas.map((r): Qoa => ({ id: r.id, systemName: r.system_name, nameKey: r.name_key, level: r.level, method: r.method })),
    lots: lots.map((r): LevelOfTrust => ({
      id: r.id,
      systemName: r.system_name,
      nameKey: r.name_key,
      qoaId: r.quality_of_authentication_id,
      qorStrengthId: r.quality_of_registration_strength_id,
      checks: parseJson(r.checks),
    })),
  };
}
