/**
 * What a client's registration says about the level it needs: `default_acr_values` (standard,
 * used when a request names none) and `minimum_acr` (ours): the least acr the client accepts,
 * which a request cannot lower by editing the URL.
 */
export const EXTRA_CLIENT_METADATA = ['minimum_acr', 'ahv_claim_allowed'] as const;

export function minimumAcrOf(client: unknown): string | undefined {
  const value = (client as { minimum_acr?: unknown } | undefined)?.minimum_acr;
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Client metadata `ahv_claim_allowed` (ours): true when the client may receive the `ahv_number`
 * claim (an administrator's decision at registration); anything else means no.
 */
export function ahvClaimAllowed(client: unknown): boolean {
  return (client as { ahv_claim_allowed?: unknown } | undefined)?.ahv_claim_allowed === true;
}
