/**
 * policies/qor.json: the default Quality of Registration policy (strengths, QoR, QoA, Levels of
 * Trust) and which concrete verification methods count as auto, manual or ahv.
 */
import fs from 'node:fs';

import { z } from 'zod';

import { ConfigError } from '../errors.js';

const kind = z.enum(['auto', 'manual', 'ahv']);

const schema = z.object({
  verification: z.object({
    validityDays: z.number().int().positive().default(1826),
    methods: z.record(z.string(), kind),
  }),
  strengths: z.array(z.object({ systemName: z.string().min(1), nameKey: z.string().min(1), level: z.number().int() })),
  qualityOfRegistration: z.array(
    z.object({ systemName: z.string().min(1), nameKey: z.string().min(1), steps: z.number().int(), strength: z.string().min(1) }),
  ),
  qualityOfAuthentication: z.array(
    z.object({ systemName: z.string().min(1), nameKey: z.string().min(1), level: z.number().int(), method: z.string().min(1) }),
  ),
  levelsOfTrust: z.array(
    z.object({
      systemName: z.string().min(1),
      nameKey: z.string().min(1),
      qoa: z.string().min(1),
      qorStrength: z.string().min(1),
      checks: z.record(z.string(), z.unknown()).default({}),
    }),
  ),
});

export type QorPolicyFile = z.infer<typeof schema>;

export function parseQorPolicy(json: unknown, source = 'policies/qor.json'): QorPolicyFile {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`Invalid policy in ${source}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export function loadQorPolicy(file: string): QorPolicyFile {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`Cannot read the policy ${file}: ${(err as Error).message}`);
  }
  return parseQorPolicy(json, file);
}
