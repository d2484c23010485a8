/**
 * Where a Mobile ID login's geofencing thresholds come from: the client's own thresholds in
 * policies/mobileid.json, else those of the first requested Level of Trust that has a geofencing
 * check (servicecorelogin_level_of_trust.checks.geofencing).
 */
import fs from 'node:fs';

import { z } from 'zod';

import { ConfigError } from '../errors.js';
import { evaluateGeofence, type GeofenceThresholds } from './geofence.js';
import type { GeofencingData } from './responses.js';

const unit = z.number().min(0).max(1);
export const geofenceThresholdsSchema = z.object({
  required: z.boolean(),
  allowedCountries: z.array(z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2, upper case')).default([]),
  minLocationConfidence: unit.default(0.7),
  minDeviceConfidence: unit.optional(),
  maxAccuracyMeters: z.number().positive().optional(),
  maxAgeSeconds: z.number().int().positive().optional(),
});

const schema = z.object({
  clients: z.record(z.string(), geofenceThresholdsSchema).default({}),
});

export interface MobileIdPolicy {
  clients: Map<string, GeofenceThresholds>;
}

export function parseMobileIdPolicy(json: unknown, source = 'policies/mobileid.json'): MobileIdPolicy {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid Mobile ID policy in ${source}: ${issues}`);
  }
  return { clients: new Map(Object.entries(parsed.data.clients)) };
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

/** A Level of Trust as far as geofencing is concerned. */
export interface GeofencedLevel {
  systemName: string;
  geofencing?: GeofenceThresholds | undefined;
}

/** The thresholds a login must pass, or undefined when no location is needed. */
export function geofenceFor(
  policy: MobileIdPolicy,
  levels: readonly GeofencedLevel[],
  clientId: string,
  requestedAcr: readonly string[],
): GeofenceThresholds | undefined {
  const own = policy.clients.get(clientId);
  if (own) return own;
  for (const value of requestedAcr) {
    const level = levels.find((l) => l.systemName === value);
    if (level?.geofencing?.required) return level.geofencing;
  }
  return undefined;
}

/** The location a login reported, as kept with the login (see LoginSuccess.location). */
export interface ReportedLocation {
  country: string;
  accuracy: number;
  locationConfidence: number;
  deviceConfidence: number;
  timestamp: string;
}

/**
 * The Levels of Trust whose geofencing thresholds (the client's own, else the level's) a login's
 * location met when it was reported (`at`). A level's check counts only for these, so a location
 * checked against one level's limits never stands for another level with stricter ones.
 */
export function geofencedLevelsMet(
  policy: MobileIdPolicy,
  levels: readonly GeofencedLevel[],
  clientId: string,
  location: ReportedLocation | undefined,
  at: Date,
): string[] {
  if (!location) return [];
  const data: GeofencingData = {
    kind: 'location',
    country: location.country,
    accuracyMeters: location.accuracy,
    locationConfidence: location.locationConfidence,
    deviceConfidence: location.deviceConfidence,
    timestamp: location.timestamp,
  };
  const own = policy.clients.get(clientId);
  return levels
    .filter((level) => {
      const thresholds = level.geofencing?.required ? (own ?? level.geofencing) : undefined;
      return thresholds !== undefined && evaluateGeofence(data, thresholds, at).ok;
    })
    .map((level) => level.systemName);
}
