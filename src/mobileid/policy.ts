/**
 * The Mobile ID login policy from policies/mobileid.json: the acr (Quality of Authentication) of
 * a login by method, and geofencing thresholds per Level of Trust and per client.
 */
import fs from 'node:fs';

import { z } from 'zod';

import { ConfigError } from '../errors.js';
import type { GeofenceThresholds } from './geofence.js';
import type { MobileIdMethod } from './login.js';

const unit = z.number().min(0).max(1);
const thresholds = z.object({
  required: z.boolean(),
  allowedCountries: z.array(z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2, upper case')).default([]),
  minLocationConfidence: unit.default(0.7),
  minDeviceConfidence: unit.optional(),
  maxAccuracyMeters: z.number().positive().optional(),
  maxAgeSeconds: z.number().int().positive().optional(),
});

const schema = z.object({
  qualityOfAuthentication: z.object({ sim: z.string().min(1), app: z.string().min(1) }),
  levels: z.record(z.string(), thresholds).default({}),
  clients: z.record(z.string(), thresholds).default({}),
});

export interface MobileIdPolicy {
  qoa: Record<MobileIdMethod, string>;
  levels: Map<string, GeofenceThresholds>;
  clients: Map<string, GeofenceThresholds>;
}

export function parseMobileIdPolicy(json: unknown, source = 'policies/mobileid.json'): MobileIdPolicy {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid Mobile ID policy in ${source}: ${issues}`);
  }
  return {
    qoa: parsed.data.qualityOfAuthentication,
    levels: new Map(Object.entries(parsed.data.levels)),
    clients: new Map(Object.entries(parsed.data.clients)),
  };
}

export function loadMobileIdPolicy(file: string): MobileIdPolicy {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`Cannot read the Mobile ID policy ${file}: ${(err as Error).message}`);
  }
  return parseMobileIdPolicy(json, file);
}

/** Every acr value a plain Mobile ID login can satisfy. */
export function mobileIdAcrValues(policy: MobileIdPolicy): string[] {
  return [...new Set([...policy.levels.keys(), policy.qoa.sim, policy.qoa.app])];
}

/**
 * The geofencing a login must pass: the client's own thresholds, else those of the first
 * requested Level of Trust that has any.
 */
export function geofenceFor(policy: MobileIdPolicy, clientId: string, requestedAcr: readonly string[]): { level: string | undefined; thresholds: GeofenceThresholds | undefined } {
  const own = policy.clients.get(clientId);
  if (own) return { level: requestedAcr.find((a) => policy.levels.has(a)), thresholds: own };
  const level = requestedAcr.find((a) => policy.levels.has(a));
  return { level, thresholds: level ? policy.levels.get(level) : undefined };
}

/** The acr of a finished login: the Level of Trust it passed, else the Quality of Authentication. */
export function acrFor(policy: MobileIdPolicy, method: MobileIdMethod, passedLevel: string | undefined): string {
  return passedLevel ?? policy.qoa[method];
}
