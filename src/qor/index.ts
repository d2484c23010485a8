/**
 * Quality of Registration: the public surface of the policy engine.
 *
 * A login: `validVerifications` (the user's verifications that count now, for this serial) →
 * `evaluateRequest` (the RP's acr values, the client minimum, the QoA and checks of the login) →
 * satisfied: `acr` and `arm_values`; otherwise the step-up `options`. `fulfilledQors` gives the
 * `fulfilled_qors` claim. Both weigh the verifications with `countingKinds`: an AHV check counts
 * for an "…AndAhv" QoR only when it is about the person the other part proved.
 * `validateCatalogue` runs at start-up.
 */
export {
  QorSteps,
  METHOD_KINDS,
  isQorSteps,
  type MethodKind,
  type QorStrength,
  type Qor,
  type Qoa,
  type LevelOfTrust,
  type LevelOfTrustChecks,
  type Verification,
  type VerificationStatus,
  type PolicyCatalogue,
} from './model.js';
export {
  requirementOf,
  missingFor,
  fulfils,
  fulfilledQors,
  validVerifications,
  corroboratedAhvChecks,
  countingKinds,
  expiresAt,
  DEFAULT_VALIDITY,
  evaluateRequest,
  requiredChecks,
  geofencingCheck,
  type Clauses,
  type HeldVerification,
  type VerificationContext,
  type Validity,
  type PolicyRequest,
  type LoginState,
  type RequestEvaluation,
  type StepUpOption,
  type Unreachable,
  type UnreachableReason,
} from './engine.js';
export { validateCatalogue, catalogueIssues } from './catalogue-validation.js';
export { evaluateLogin, loginFactsFromAmr, qoaSystemName, qorClaims, requestedAcrValues, type LoginFacts } from './login-state.js';
export { loadCatalogue } from './repository.js';
export { loadQorPolicy, type QorPolicyFile } from './policy-file.js';
export { seedPolicy } from './seed.js';
export { CatalogueCache } from './catalogue-cache.js';
export { selectVerifiedClaims } from './verified-claims.js';
