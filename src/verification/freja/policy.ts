/**
 * policies/freja.json: which Freja eID registration levels count as an automatic identity
 * verification, the minimum level asked of Freja, and the attributes asked for.
 *
 * BASIC (an e-mail address or phone number only) never counts: the file is refused if it lists it.
 */
import fs from 'node:fs';

import { z } from 'zod';

import { ConfigError } from '../../errors.js';
import { ATTRIBUTES, type Attribute, type RegistrationLevel } from './protocol.js';

/** Attributes the verification cannot do without: the names and the date of birth to compare. */
export const REQUIRED_ATTRIBUTES: readonly Attribute[] = ['BASIC_USER_INFO', 'DATE_OF_BIRTH'];

const LEVEL_ORDER: Readonly<Record<RegistrationLevel, number>> = { BASIC: 1, EXTENDED: 2, PLUS: 3 };

const schema = z
  .object({
    acceptedRegistrationLevels: z
      .array(z.enum(['BASIC', 'EXTENDED', 'PLUS']))
      .min(1, 'must name at least one level')
      .refine((levels) => !levels.includes('BASIC'), 'must not contain BASIC: a BASIC registration proves no identity'),
    attributesToReturn: z
      .array(z.enum(ATTRIBUTES))
      .refine((list) => REQUIRED_ATTRIBUTES.every((a) => list.includes(a)), `must contain ${REQUIRED_ATTRIBUTES.join(' and ')}`),
    /** How old a signed result may be when we read it (seconds). */
    resultMaxAgeSeconds: z.number().int().min(30).max(3600).default(300),
    /** At most `max` authentications per account in `windowSeconds`. */
    rateLimit: z.object({ max: z.number().int().min(1), windowSeconds: z.number().int().min(1) }).default({ max: 10, windowSeconds: 600 }),
  })
  .strict();

export interface FrejaPolicy {
  acceptedRegistrationLevels: RegistrationLevel[];
  /** The lowest accepted level: what is asked of Freja as `minRegistrationLevel`. */
  minRegistrationLevel: RegistrationLevel;
  attributesToReturn: Attribute[];
  resultMaxAgeSeconds: number;
  rateLimit: { max: number; windowSeconds: number };
}

export function parseFrejaPolicy(raw: unknown, source = 'freja policy'): FrejaPolicy {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || 'policy'} ${i.message}`);
    throw new ConfigError(`Invalid ${source}: ${lines.join('; ')}`);
  }
  const p = parsed.data;
  const levels = [...new Set(p.acceptedRegistrationLevels)].sort((a, b) => LEVEL_ORDER[a] - LEVEL_ORDER[b]);
  const attributes = [...new Set(p.attributesToReturn)];
  // The level the user has is part of the answer whenever it can be: it goes into the evidence.
  if (!attributes.includes('REGISTRATION_LEVEL')) attributes.push('REGISTRATION_LEVEL');
  return {
    acceptedRegistrationLevels: levels,
    minRegistrationLevel: levels[0]!,
    attributesToReturn: attributes,
    resultMaxAgeSeconds: p.resultMaxAgeSeconds,
    rateLimit: p.rateLimit,
  };
}

export function loadFrejaPolicy(file: string): FrejaPolicy {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`Invalid configuration: the Freja eID policy ${file} cannot be read (${(err as Error).message})`);
  }
  return parseFrejaPolicy(raw, `Freja eID policy ${file}`);
}
