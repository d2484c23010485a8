/**
 * From a login and the user's verifications to what the engine and the tokens need: the login
 * state, the requested values of an authorization, `fulfilled_qors` and `arm_values`.
 */
import { evaluateRequest, fulfilledQors, geofencingCheck, validVerifications, type PolicyRequest, type RequestEvaluation } from './engine.js';
import { verifiedIdentityClaims } from './verified-claims.js';
import type { PolicyCatalogue, Verification } from './model.js';

/** How the user logged in: the QoA method (e.g. mobileid-sim) and the checks it passed. */
export interface LoginFacts {
  qoaMethod: string;
  passedChecks: readonly string[];
  /** The Mobile ID serial of the login; verifications bound to another serial do not count. */
  serial: string;
}

/**
 * The QoA method and checks of a login, from its RFC 8176 amr values and the Levels of Trust whose
 * geofencing thresholds its location met (`geo` alone says only that a location was checked).
 */
export function loginFactsFromAmr(amr: readonly string[] | undefined, serial: string, geofencedLevels: readonly string[] = []): LoginFacts {
  const values = amr ?? [];
  return {
    qoaMethod: values.includes('hwk') ? 'mobileid-sim' : 'mobileid-app',
    passedChecks: values.includes('geo') ? geofencedLevels.map(geofencingCheck) : [],
    serial,
  };
}

function qoaLevel(catalogue: PolicyCatalogue, method: string): number {
  return catalogue.qoas.find((q) => q.method === method)?.level ?? 0;
}

export function qoaSystemName(catalogue: PolicyCatalogue, method: string): string | undefined {
  return catalogue.qoas.find((q) => q.method === method)?.systemName;
}

export function evaluateLogin(
  catalogue: PolicyCatalogue,
  verifications: readonly Verification[],
  login: LoginFacts,
  request: PolicyRequest,
  now = new Date(),
): RequestEvaluation {
  return evaluateRequest(catalogue, request, {
    verifications: validVerifications(verifications, { now, serial: login.serial }),
    qoaLevel: qoaLevel(catalogue, login.qoaMethod),
    passedChecks: new Set(login.passedChecks),
  });
}

/**
 * The claims of what was proven: `fulfilled_qors`, `arm_values`, and the verified identity data
 * (`given_name`, `family_name`, `birthdate`, `verified_claims`) once a verification proved it.
 */
export function qorClaims(
  catalogue: PolicyCatalogue,
  verifications: readonly (Verification & { evidence?: unknown })[],
  login: LoginFacts,
  request: PolicyRequest,
  now = new Date(),
): { fulfilled_qors: string[]; arm_values: string[] } & Record<string, unknown> {
  const valid = validVerifications(verifications, { now, serial: login.serial });
  const fulfilled = fulfilledQors(catalogue, valid);
  const armValues = request.values.length || request.minimum ? evaluateLogin(catalogue, verifications, login, request, now).armValues : [];
  const strongest = fulfilled.at(-1)?.systemName;
  return {
    ...verifiedIdentityClaims(valid, strongest),
    fulfilled_qors: fulfilled.map((q) => q.systemName),
    arm_values: armValues,
  };
}

/** The acr values an authorization asked for, from its claims request (acr_values end up there). */
export function requestedAcrValues(claims: unknown): { values: string[]; essential: boolean } {
  const acr = (claims as { id_token?: { acr?: { value?: unknown; values?: unknown; essential?: unknown } } } | undefined)?.id_token?.acr;
  if (!acr) return { values: [], essential: false };
  const values = Array.isArray(acr.values) ? acr.values.filter((v): v is string => typeof v === 'string') : typeof acr.value === 'string' ? [acr.value] : [];
  return { values, essential: acr.essential === true };
}
