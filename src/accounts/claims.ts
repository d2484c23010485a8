import type { Account } from './repository.js';

/** A location reported by a Mobile ID login (released with the `mobileid_location` scope). */
export interface LoginLocation {
  country: string;
  accuracy: number;
  locationConfidence: number;
  deviceConfidence: number;
  timestamp: string;
}

/**
 * The claims an account has on its own (verified identity data comes from verifications), with the
 * location of the login the token stands for, if it reported one.
 */
export function accountClaims(account: Account, location?: LoginLocation): Record<string, unknown> {
  return {
    phone_number: `+${account.msisdn}`,
    phone_number_verified: true,
    ...(location
      ? {
          mobileid_location: {
            country: location.country,
            accuracy: location.accuracy,
            location_confidence: location.locationConfidence,
            device_confidence: location.deviceConfidence,
            timestamp: location.timestamp,
          },
        }
      : {}),
  };
}
