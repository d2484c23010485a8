/**
 * The policy model: the rows of the policy tables as the engine sees them (DESIGN.md, "The policy
 * model"; specs/quality-of-registration.txt). Plain data, no behaviour beyond type guards.
 */
import type { PersonIdentity } from '../identity/index.js';
import type { GeofenceThresholds } from '../mobileid/index.js';

/** `servicecorelogin_quality_of_registration.steps`: what a user must have verified. */
export enum QorSteps {
  /** A placeholder: never fulfilled and never offered. */
  Dummy = 0,
  /** Nothing to verify. */
  None = 1,
  /** One automatic method or the in-person check; the user chooses. */
  AutoOrManual = 2,
  /** As AutoOrManual, and the AHV register check. */
  AutoOrManualAndAhv = 3,
  /** One automatic online method (SRS incl. video, Freja eID). */
  Auto = 4,
  /** An automatic online method and the AHV register check. */
  AutoAndAhv = 5,
}

/** Whether a stored number is one of the documented steps values. */
export function isQorSteps(value: unknown): value is QorSteps {
  return typeof value === 'number' && Number.isInteger(value) && typeof QorSteps[value] === 'string';
}

/**
 * The class of a verification method: `auto` (an automatic online method, e.g. SRS video or
 * Freja eID), `manual` (in-person counter check) or `ahv` (AHV register check).
 */
export type MethodKind = 'auto' | 'manual' | 'ahv';

export const METHOD_KINDS: readonly MethodKind[] = ['auto', 'manual', 'ahv'];

/** `..._quality_of_registration_strength`: orders QoRs; a higher level is stronger. */
export interface QorStrength {
  id: number;
  level: number;
  nameKey: string;
}

/** `..._quality_of_registration`: one QoR definition. */
export interface Qor {
  id: number;
  /** The identifier in tokens and `acr_values`, e.g. `urn:servicecore:qor:300`. */
  systemName: string;
  /** Translation key for the UI only. */
  nameKey: string;
  steps: QorSteps;
  strengthId: number;
}

/** `..._quality_of_authentication`: how the user logged in. */
export interface Qoa {
  id: number;
  systemName: string;
  /** A higher level is stronger. */
  level: number;
  method: 'mobileid-sim' | 'mobileid-app' | (string & {});
  nameKey: string;
}

/**
 * Additional checks a Level of Trust asks for. A check is required when its entry is present;
 * geofencing thresholds with `required: false` check nothing and so are not required.
 */
export interface LevelOfTrustChecks {
  geofencing?: GeofenceThresholds;
}

/** `..._level_of_trust`: a QoA, a QoR strength and additional checks under one name. */
export interface LevelOfTrust {
  id: number;
  systemName: string;
  nameKey: string;
  qoaId: number;
  qorStrengthId: number;
  checks: LevelOfTrustChecks;
}

export type VerificationStatus = 'approved' | 'pending' | 'rejected' | 'revoked';

/** One identity verification of a user, as far as the policy is concerned. */
export interface Verification {
  id: string;
  /** The concrete method, e.g. `srs-video` or `freja`. */
  method: string;
  kind: MethodKind;
  status: VerificationStatus;
  verifiedAt: Date;
  expiresAt: Date;
  /** The Mobile ID serial the verification is bound to; null when it is not bound. */
  boundSerial: string | null;
  /**
   * The person the verification is about: the identity an `auto` or `manual` method proved, or the
   * identity an `ahv` check checked against the register. Absent when the names and date of birth
   * were not all recorded; such a verification cannot be tied to another one (see `countingKinds`).
   */
  identity?: PersonIdentity | undefined;
}

/** All policy rows, as loaded from the tables. */
export interface PolicyCatalogue {
  strengths: readonly QorStrength[];
  qors: readonly Qor[];
  qoas: readonly Qoa[];
  lots: readonly LevelOfTrust[];
}
