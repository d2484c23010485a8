import type { Account } from './repository.js';

/** The standard claims an account has on its own (verified identity data comes from verifications). */
export function accountClaims(account: Account): Record<string, unknown> {
  return {
    phone_number: `+${account.msisdn}`,
    phone_number_verified: true,
  };
}
