/**
 * Pure evaluation of the geofencing answer (reference guide 3.2.4.2) against a Level of Trust's
 * thresholds. When geofencing is required and no usable location came back, it fails closed.
 */
import { geofencingAdviceKey } from './faults.js';
import type { GeofencingData } from './responses.js';

export interface GeofenceThresholds {
  /** When false nothing is checked (the LoT does not ask for a location). */
  required: boolean;
  /** ISO 3166-1 alpha-2 codes; empty means any country. */
  allowedCountries: readonly string[];
  /** Minimum LocationConfidence, 0..1 (the guide recommends 0.7 for standard services). */
  minLocationConfidence: number;
  /** Minimum DeviceConfidence, 0..1 (below 0.5 hints at a rooted device). */
  minDeviceConfidence?: number;
  /** Maximum Accuracy in meters (SIM answers always 0). */
  maxAccuracyMeters?: number;
  /** Maximum age of the location Timestamp in seconds. */
  maxAgeSeconds?: number;
}

export const DEFAULT_GEOFENCE_THRESHOLDS: GeofenceThresholds = {
  required: false,
  allowedCountries: [],
  minLocationConfidence: 0.7,
};

export type GeofenceReason =
  | 'geofence_missing'
  | 'geofence_country'
  | 'geofence_location_confidence'
  | 'geofence_device_confidence'
  | 'geofence_accuracy'
  | 'geofence_age';

export type GeofenceDecision =
  | { ok: true; evaluated: boolean }
  | {
      ok: false;
      reason: GeofenceReason;
      /** Why access is refused, e.g. `mobileid.geofence.country`. */
      messageKey: string;
      /** What the user can do, e.g. `mobileid.geofencing.106` for a geofencing error code. */
      adviceKey: string | undefined;
      /** The geofencing ErrorCode when the MSSP returned one. */
      geofencingErrorCode: number | undefined;
      /** For logs: which value failed which limit (no personal data beyond the country). */
      detail: string;
    };

/** Tolerated clock difference for location timestamps in the future. */
const FUTURE_SKEW_MS = 5 * 60_000;

function refuse(
  reason: GeofenceReason,
  detail: string,
  adviceKey?: string,
  geofencingErrorCode?: number,
): GeofenceDecision {
  return {
    ok: false,
    reason,
    messageKey: `mobileid.geofence.${reason.slice('geofence_'.length)}`,
    adviceKey,
    geofencingErrorCode,
    detail,
  };
}

/** Decide whether a geofencing answer satisfies the thresholds at `now`. */
export function evaluateGeofence(data: GeofencingData | undefined, t: GeofenceThresholds, now: Date): GeofenceDecision {
  if (!t.required) return { ok: true, evaluated: false };
  if (data === undefined) return refuse('geofence_missing', 'no geofencing answer', 'mobileid.geofencing.200');
  if (data.kind === 'error') {
    return refuse('geofence_missing', `geofencing error ${data.errorCode}`, geofencingAdviceKey(data.errorCode), data.errorCode);
  }
  if (data.kind === 'unreadable') {
    return refuse('geofence_missing', `unreadable geofencing answer: ${data.reason}`, 'mobileid.geofencing.unknown');
  }

  const allowed = t.allowedCountries.map((c) => c.trim().toUpperCase()).filter((c) => c !== '');
  if (allowed.length > 0 && !allowed.includes(data.country.toUpperCase())) {
    return refuse('geofence_country', `country ${data.country} not in ${allowed.join(',')}`);
  }
  if (!(data.locationConfidence >= t.minLocationConfidence)) {
    return refuse(
      'geofence_location_confidence',
      `location confidence ${data.locationConfidence} < ${t.minLocationConfidence}`,
      'mobileid.geofence.advice.refresh_location',
    );
  }
  if (t.minDeviceConfidence !== undefined && !(data.deviceConfidence >= t.minDeviceConfidence)) {
    return refuse('geofence_device_confidence', `device confidence ${data.deviceConfidence} < ${t.minDeviceConfidence}`);
  }
  if (t.maxAccuracyMeters !== undefined && !(data.accuracyMeters >= 0 && data.accuracyMeters <= t.maxAccuracyMeters)) {
    const detail = `accuracy ${data.accuracyMeters} m > ${t.maxAccuracyMeters} m`;
    return refuse('geofence_accuracy', detail, 'mobileid.geofence.advice.precise_location');
  }
  if (t.maxAgeSeconds !== undefined) {
    const at = Date.parse(data.timestamp);
    const ageMs = now.getTime() - at;
    if (Number.isNaN(at) || ageMs > t.maxAgeSeconds * 1000 || ageMs < -FUTURE_SKEW_MS) {
      const detail = `location timestamp ${data.timestamp} outside ${t.maxAgeSeconds} s`;
      return refuse('geofence_age', detail, 'mobileid.geofence.advice.refresh_location');
    }
  }
  return { ok: true, evaluated: true };
}
