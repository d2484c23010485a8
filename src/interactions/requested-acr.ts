import { requestedAcrValues } from '../qor/index.js';

/**
 * The acr values an authorization request asks for, in the RP's order of preference:
 * `acr_values` (or the client's `default_acr_values`, which the provider puts there) and an acr
 * in the `claims` parameter, and whether that claim is essential.
 */
export function requestedValues(params: Record<string, unknown>): { values: string[]; essential: boolean } {
  let fromClaims: ReturnType<typeof requestedAcrValues> = { values: [], essential: false };
  try {
    fromClaims = requestedAcrValues(params.claims ? JSON.parse(String(params.claims)) : undefined);
  } catch {
    // an unparsable claims parameter was already refused by the provider
  }
  const acrValues = String(params.acr_values ?? '').split(' ').filter(Boolean);
  return { values: [...new Set([...fromClaims.values, ...acrValues])], essential: fromClaims.essential };
}
