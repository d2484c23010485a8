/**
 * The claims we release, by scope. `fulfilled_qors` and `arm_values` (Quality of Registration)
 * and `acr`/`amr` are requested through the claims parameter or released with the id_token.
 */
export const AHV_SCOPE = 'ahv';
export const AHV_CLAIM = 'ahv_number';

export const SCOPES: Record<string, string[]> = {
  // What was proven travels with every id_token, not only when the RP asks for it.
  openid: ['sub', 'acr', 'amr', 'auth_time', 'fulfilled_qors', 'arm_values'],
  offline_access: [],
  profile: ['given_name', 'family_name', 'birthdate', 'locale'],
  phone: ['phone_number', 'phone_number_verified'],
  /** Where the phone was when the user confirmed the login (Mobile ID geofencing). */
  mobileid_location: ['mobileid_location'],
  /**
   * The AHV number confirmed by the AHV register check (756.XXXX.XXXX.XX): released only to a
   * client registered with `ahv_claim_allowed: true`, when it asks for it (this scope or the claim).
   */
  ahv: [AHV_CLAIM],
  /** The admin JSON API (client_credentials tokens of clients registered with this scope). */
  admin: [],
};

/** oidc-provider `claims`: scope → claims, and standalone claims (value null). */
export const CLAIMS: Record<string, string[] | null> = {
  ...SCOPES,
  acr: null,
  amr: null,
  auth_time: null,
  fulfilled_qors: null,
  arm_values: null,
  verified_claims: null,
};

/** Whether an authorization (its granted scope and claims parameter) asks for the AHV number. */
export function asksForAhvNumber(source: { scope?: unknown; claims?: unknown } | undefined): boolean {
  if (!source) return false;
  const scopes = typeof source.scope === 'string' ? source.scope.split(' ') : [];
  if (scopes.includes(AHV_SCOPE)) return true;
  const claims = (typeof source.claims === 'object' && source.claims !== null ? source.claims : {}) as { id_token?: unknown; userinfo?: unknown };
  return [claims.id_token, claims.userinfo].some((c) => typeof c === 'object' && c !== null && AHV_CLAIM in c);
}
