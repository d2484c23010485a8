import type { Account } from './repository.js';

/** The claims an account has on its own (verified identity data comes from verifications). */
export function accountClaims(account: Account): Record<string, unknown> {
  const location = account.lastLogin?.location;
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
