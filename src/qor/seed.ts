/**
 * Seeds the policy tables from policies/qor.json on start. Idempotent and safe from several
 * instances at once: each default row is inserted once (remembered in policy_seed), so later
 * edits and deletions by administrators are never overwritten or undone.
 */
import type { Db } from '../db/index.js';
import { ConfigError } from '../errors.js';
import type { QorPolicyFile } from './policy-file.js';

export const TABLES = {
  strength: 'servicecorelogin_quality_of_registration_strength',
  qor: 'servicecorelogin_quality_of_registration',
  qoa: 'servicecorelogin_quality_of_authentication',
  lot: 'servicecorelogin_level_of_trust',
} as const;

type Kind = keyof typeof TABLES;

/** Returns the system names inserted by this call. */
export async function seedPolicy(db: Db, policy: QorPolicyFile): Promise<string[]> {
  return db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [727_002]);
    const seeded = new Set(
      ((await trx('policy_seed').select('kind', 'system_name')) as { kind: string; system_name: string }[]).map((r) => `${r.kind}:${r.system_name}`),
    );
    const inserted: string[] = [];
    const idOf = async (kind: Kind, systemName: string, owner: string): Promise<number> => {
      const row = (await trx(TABLES[kind]).where({ system_name: systemName }).first('id')) as { id: number } | undefined;
      if (!row) throw new ConfigError(`Invalid policy: ${owner} refers to ${systemName}, which does not exist`);
      return row.id;
    };
    const seedRow = async (kind: Kind, systemName: string, build: () => Promise<Record<string, unknown>>) => {
      if (seeded.has(`${kind}:${systemName}`)) return;
      const exists = await trx(TABLES[kind]).where({ system_name: systemName }).first('id');
      if (!exists) {
        await trx(TABLES[kind]).insert({ system_name: systemName, ...(await build()) });
        inserted.push(systemName);
      }
      await trx('policy_seed').insert({ kind, system_name: systemName }).onConflict(['kind', 'system_name']).ignore();
    };

    for (const s of policy.strengths) {
      await seedRow('strength', s.systemName, async () => ({ name_key: s.nameKey, level: s.level }));
    }
    for (const q of policy.qualityOfRegistration) {
      await seedRow('qor', q.systemName, async () => ({
        name_key: q.nameKey,
        steps: q.steps,
        quality_of_registration_strength_id: await idOf('strength', q.strength, q.systemName),
      }));
    }
    for (const a of policy.qualityOfAuthentication) {
      await seedRow('qoa', a.systemName, async () => ({ name_key: a.nameKey, level: a.level, method: a.method }));
    }
    for (const l of policy.levelsOfTrust) {
      await seedRow('lot', l.systemName, async () => ({
        name_key: l.nameKey,
        quality_of_authentication_id: await idOf('qoa', l.qoa, l.systemName),
        quality_of_registration_strength_id: await idOf('strength', l.qorStrength, l.systemName),
        checks: JSON.stringify(l.checks),
      }));
    }
    return inserted;
  });
}
