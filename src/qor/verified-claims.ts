/**
 * Identity data proven by verifications, as claims: `given_name`, `family_name`, `birthdate`
 * (from the most recent valid verification that proved them) and the same as OpenID Connect for
 * Identity Assurance `verified_claims`, with the QoR reached as `assurance_level`.
 */
import type { Verification } from './model.js';

/** Our trust framework: a private URI, as OIDC4IA allows for frameworks not in its registry. */
export const TRUST_FRAMEWORK = 'urn:servicecore:trust-framework:login';

export interface ProvenIdentity {
  given_name?: string;
  family_name?: string;
  birthdate?: string;
  nationalities?: string[];
}

/** Evidence fields every method stores (see src/verification/*). */
interface Evidence extends ProvenIdentity {
  /** OIDC4IA evidence type: `document`, `electronic_record`, `vouch`, `electronic_signature`. */
  evidence_type?: string;
}

const IDENTITY_KEYS = ['given_name', 'family_name', 'birthdate', 'nationalities'] as const;

function identityOf(evidence: unknown): ProvenIdentity {
  const e = (evidence ?? {}) as Record<string, unknown>;
  const out: ProvenIdentity = {};
  for (const key of IDENTITY_KEYS) {
    const value = e[key];
    if (key === 'nationalities' ? Array.isArray(value) && value.every((v) => typeof v === 'string') : typeof value === 'string' && value) {
      (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

function evidenceTypeOf(v: Verification & { evidence?: unknown }): string {
  return ((v.evidence ?? {}) as Evidence).evidence_type ?? (v.kind === 'manual' ? 'document' : 'electronic_record');
}

export function verifiedIdentityClaims(
  valid: readonly (Verification & { evidence?: unknown })[],
  assuranceLevel: string | undefined,
): Record<string, unknown> {
  const proving = [...valid]
    .filter((v) => v.kind !== 'ahv' && Object.keys(identityOf(v.evidence)).length > 0)
    .sort((a, b) => b.verifiedAt.getTime() - a.verifiedAt.getTime());
  const latest = proving[0];
  if (!latest) return {};
  const identity = identityOf(latest.evidence);
  return {
    ...(identity.given_name ? { given_name: identity.given_name } : {}),
    ...(identity.family_name ? { family_name: identity.family_name } : {}),
    ...(identity.birthdate ? { birthdate: identity.birthdate } : {}),
    verified_claims: {
      verification: {
        trust_framework: TRUST_FRAMEWORK,
        ...(assuranceLevel ? { assurance_level: assuranceLevel } : {}),
        time: latest.verifiedAt.toISOString(),
        evidence: proving.map((v) => ({
          type: evidenceTypeOf(v),
          method: v.method,
          time: v.verifiedAt.toISOString(),
        })),
      },
      claims: identity,
    },
  };
}

/**
 * OpenID Connect for Identity Assurance: the RP names the claims it wants inside
 * `verified_claims.claims` of its claims parameter, and receives only those (and no
 * `verified_claims` at all when none of them was proven). A request without that list gets every
 * proven claim.
 */
export function selectVerifiedClaims(released: Record<string, unknown>, request: unknown): Record<string, unknown> {
  const verified = released.verified_claims as { verification: unknown; claims: Record<string, unknown> } | undefined;
  if (!verified) return released;
  const wanted = (request as { claims?: unknown } | null | undefined)?.claims;
  if (typeof wanted !== 'object' || wanted === null) return released;
  const claims = Object.fromEntries(Object.entries(verified.claims).filter(([key]) => key in wanted));
  const { verified_claims: _dropped, ...rest } = released;
  return Object.keys(claims).length ? { ...rest, verified_claims: { ...verified, claims } } : rest;
}
