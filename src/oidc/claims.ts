/**
 * The claims we release, by scope. `fulfilled_qors` and `arm_values` (Quality of Registration)
 * and `acr`/`amr` are requested through the claims parameter or released with the id_token.
 */
export const SCOPES: Record<string, string[]> = {
  // What was proven travels with every id_token, not only when the RP asks for it.
  openid: ['sub', 'acr', 'amr', 'auth_time', 'fulfilled_qors', 'arm_values'],
  offline_access: [],
  profile: ['given_name', 'family_name', 'birthdate', 'locale'],
  phone: ['phone_number', 'phone_number_verified'],
  /** Where the phone was when the user confirmed the login (Mobile ID geofencing). */
  mobileid_location: ['mobileid_location'],
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
