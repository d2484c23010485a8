/**
 * The policy engine: which QoRs a user fulfils, what is missing, and whether a relying party's
 * request (acr values naming LoTs, QoRs or QoAs) is met. Pure and deterministic: the caller
 * passes the time, the login's serial, the checks that passed and the user's verifications with
 * the identity each one is about (compared with src/identity, which depends on nothing).
 *
 * The engine expects a catalogue that passed `validateCatalogue`; rows it still cannot place
 * (a missing strength or QoA) are never trusted.
 */
import { ConfigError } from '../errors.js';
import { samePerson } from '../identity/index.js';
import {
  QorSteps,
  type LevelOfTrust,
  type MethodKind,
  type PolicyCatalogue,
  type Qoa,
  type Qor,
  type QorStrength,
  type Verification,
} from './model.js';

/** Conjunctive normal form: every clause must be met; any one kind of a clause meets it. */
export type Clauses = MethodKind[][];

// ---------------------------------------------------------------------------------------------
// Requirements

/** What a steps value requires, or `'never'` for Dummy. Throws ConfigError for an unknown value. */
export function requirementOf(steps: QorSteps): Clauses | 'never' {
  switch (steps) {
    case QorSteps.Dummy:
      return 'never';
    case QorSteps.None:
      return [];
    case QorSteps.AutoOrManual:
      return [['auto', 'manual']];
    case QorSteps.AutoOrManualAndAhv:
      return [['auto', 'manual'], ['ahv']];
    case QorSteps.Auto:
      return [['auto']];
    case QorSteps.AutoAndAhv:
      return [['auto'], ['ahv']];
    default:
      throw new ConfigError(`steps ${String(steps)} is not a QualityOfRegistrationSteps value (0..5)`);
  }
}

/** A verification that counts now (see `validVerifications`), as far as a requirement looks at it. */
export type HeldVerification = Pick<Verification, 'kind' | 'identity'>;

/**
 * The kinds that count towards a requirement, given the verifications that count now.
 *
 * `auto` and `manual` count as they are. An `ahv` check required together with other kinds (the
 * "…AndAhv" steps) must be about the same person as the verification it is combined with: it
 * counts only when it recorded the identity it checked and that identity is the same person
 * (`samePerson`: names and date of birth) as the one proven by a verification of the kinds it is
 * combined with. While the user has no verification of those kinds yet, a check with a recorded
 * identity counts for its own clause: the QoR is not fulfilled before the other part is done, and
 * that part must then prove the same person.
 */
export function countingKinds(requirement: Clauses, held: readonly HeldVerification[]): Set<MethodKind> {
  const kinds = new Set(held.filter((v) => v.kind !== 'ahv').map((v) => v.kind));
  const checks = held.filter((v) => v.kind === 'ahv');
  if (checks.length === 0) return kinds;
  const partnerKinds = new Set(requirement.filter((clause) => !clause.includes('ahv')).flat());
  const combined = requirement.some((clause) => clause.includes('ahv')) && partnerKinds.size > 0;
  if (!combined) {
    kinds.add('ahv');
    return kinds;
  }
  const partners = held.filter((v) => partnerKinds.has(v.kind));
  const counts = checks.some(
    ({ identity }) =>
      identity !== undefined && (partners.length === 0 || partners.some((partner) => partner.identity !== undefined && samePerson(identity, partner.identity))),
  );
  if (counts) kinds.add('ahv');
  return kinds;
}

/**
 * What a QoR still needs: the clauses the user has not met (an OR clause: the user chooses), and
 * `unmatched`, the kinds the user holds that do not count for it because they cannot be tied to
 * the person the other part proved (see `countingKinds`; present only when not empty). `'never'`
 * for Dummy.
 */
export function missingFor(qor: Qor, held: readonly HeldVerification[]): { clauses: Clauses; unmatched?: MethodKind[] } | 'never' {
  const requirement = requirementOf(qor.steps);
  if (requirement === 'never') return 'never';
  const kinds = countingKinds(requirement, held);
  const clauses = requirement.filter((clause) => !clause.some((kind) => kinds.has(kind)));
  const unmatched = [...new Set(held.map((v) => v.kind))].filter((kind) => !kinds.has(kind) && clauses.some((clause) => clause.includes(kind)));
  return unmatched.length ? { clauses, unmatched } : { clauses };
}

/** Whether the verifications that count now fulfil a QoR. */
export function fulfils(qor: Qor, held: readonly HeldVerification[]): boolean {
  const missing = missingFor(qor, held);
  return missing !== 'never' && missing.clauses.length === 0;
}

/**
 * Every QoR the user fulfils with the verifications that count now, weakest first (strength
 * level, then id); their `systemName`s are the `fulfilled_qors` claim.
 */
export function fulfilledQors(catalogue: PolicyCatalogue, held: readonly HeldVerification[]): Qor[] {
  return placedQors(catalogue).filter((qor) => fulfils(qor, held));
}

// ---------------------------------------------------------------------------------------------
// Verifications

export interface VerificationContext {
  now: Date;
  /** The Mobile ID serial of the current login. */
  serial: string | null;
}

/**
 * The verifications that count now: approved, not expired at `now`, and either unbound or bound
 * to the serial of the current login (case-insensitive). A verification bound to an old serial
 * does not count. Invalid dates never count.
 */
export function validVerifications<V extends Verification>(verifications: readonly V[], context: VerificationContext): V[] {
  const serial = context.serial?.toUpperCase();
  const now = context.now.getTime();
  return verifications.filter(
    (v) =>
      v.status === 'approved' &&
      v.verifiedAt.getTime() <= v.expiresAt.getTime() &&
      v.expiresAt.getTime() > now &&
      (v.boundSerial === null || (serial !== undefined && v.boundSerial.toUpperCase() === serial)),
  );
}

/**
 * The AHV checks (among verifications that count now) about a person another verification proved:
 * only their numbers may be released, never one checked for details the user merely typed.
 */
export function corroboratedAhvChecks<V extends Verification>(valid: readonly V[]): V[] {
  const proven = valid.filter((v) => v.kind !== 'ahv' && v.identity);
  return valid.filter((v) => v.kind === 'ahv' && v.identity && proven.some((p) => samePerson(v.identity!, p.identity!)));
}

/** How long a verification stays valid, in calendar units (UTC). */
export interface Validity {
  years?: number;
  months?: number;
  days?: number;
}

export const DEFAULT_VALIDITY: Readonly<Validity> = { years: 5 };

/**
 * When a verification made at `verifiedAt` expires. Months that lack the day end on their last
 * day (29 Feb + 1 year = 28 Feb). Throws ConfigError for a validity that is not a positive
 * duration in whole units.
 */
export function expiresAt(verifiedAt: Date, validity: Validity = DEFAULT_VALIDITY): Date {
  const { years = 0, months = 0, days = 0 } = validity;
  const parts = [years, months, days];
  if (!parts.every((n) => Number.isSafeInteger(n) && n >= 0) || parts.every((n) => n === 0)) {
    throw new ConfigError(`verification validity must be a positive duration in whole years/months/days, got ${JSON.stringify(validity)}`);
  }
  const d = new Date(verifiedAt.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + years * 12 + months);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, lastDay) + days);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface PolicyRequest {
  /** acr values in the relying party's order of preference; each names a LoT, a QoR or a QoA. */
  values: readonly string[];
  /** Whether the request is essential (passed through; the caller decides what unmet means). */
  essential: boolean;
  /** The client's minimum `systemName`; the request cannot lower it. */
  minimum?: string | undefined;
}

export interface LoginState {
  /** The user's verifications that count now (`validVerifications`). */
  verifications: readonly HeldVerification[];
  /** The level of the QoA this login reached. */
  qoaLevel: number;
  /** The additional checks this login passed, e.g. `geofencing:<LoT>` (`geofencingCheck`). */
  passedChecks: ReadonlySet<string>;
}

/** Why a value can never be met by verifying more. */
export type UnreachableReason =
  /** A Dummy QoR. */
  | 'dummy'
  /** The login's QoA is too weak: it needs a different login. */
  | 'qoa_too_low'
  /** A check the LoT asks for (e.g. geofencing) did not pass. */
  | 'check_failed'
  /** No non-Dummy QoR is strong enough for the LoT. */
  | 'no_qor'
  /** The row references a strength or QoA that does not exist. */
  | 'misconfigured';

export interface Unreachable {
  value: string;
  reason: UnreachableReason;
}

/** One way to meet a requested value by verifying: the user picks one option. */
export interface StepUpOption {
  value: string;
  /** The QoR to reach: the value's own (a QoR) or the weakest strong enough (a LoT); when only the minimum is unmet, the minimum's. */
  qor: Qor;
  /** What is missing for the value and the minimum together. */
  missing: Clauses;
  /** Kinds the user holds that do not count here because they cannot be tied to the person the other part proved (see `missingFor`); only when not empty. */
  unmatched?: MethodKind[];
}

interface EvaluationCommon {
  essential: boolean;
  /** Requested values (and the minimum) that the user passes: the `arm_values` claim. */
  armValues: string[];
  /** True when values were requested and none of them is known. */
  unknown: boolean;
}

export type RequestEvaluation =
  | (EvaluationCommon & { satisfied: string })
  | (EvaluationCommon & { satisfied: undefined; options: StepUpOption[]; unreachable: Unreachable[] });

/** How one value stands for this login. */
type Judgement =
  | { state: 'met' }
  | { state: 'reachable'; qor: Qor; missing: Clauses; unmatched: MethodKind[] }
  | { state: 'unreachable'; reason: UnreachableReason };

/**
 * Evaluates a relying party's request. `satisfied` is the first known value, in preference
 * order, that is met while the minimum is met too. Otherwise `options` say what the user can
 * verify and `unreachable` what no verification can fix. Unknown values are ignored; when every
 * requested value is unknown the minimum alone is evaluated. Throws ConfigError when the
 * minimum names nothing in the catalogue.
 */
export function evaluateRequest(catalogue: PolicyCatalogue, request: PolicyRequest, state: LoginState): RequestEvaluation {
  const index = indexOf(catalogue);
  const judge = (value: string): Judgement | undefined => judgeValue(index, value, state);

  const requested = new Map<string, Judgement>();
  for (const value of request.values) {
    const judgement = requested.has(value) ? undefined : judge(value);
    if (judgement) requested.set(value, judgement);
  }
  const unknown = request.values.length > 0 && requested.size === 0;

  const { minimum } = request;
  let minimumJudgement: Judgement | undefined;
  if (minimum !== undefined) {
    minimumJudgement = requested.get(minimum) ?? judge(minimum);
    if (!minimumJudgement) throw new ConfigError(`the client minimum ${minimum} names no LoT, QoR or QoA`);
  }

  const armValues = [...requested].filter(([, j]) => j.state === 'met').map(([value]) => value);
  if (minimum !== undefined && minimumJudgement?.state === 'met' && !armValues.includes(minimum)) armValues.push(minimum);

  const candidates = new Map(requested);
  if (candidates.size === 0 && minimum !== undefined && minimumJudgement) candidates.set(minimum, minimumJudgement);

  const common = { essential: request.essential, armValues, unknown };
  const minimumMet = minimumJudgement === undefined || minimumJudgement.state === 'met';
  const satisfied = minimumMet ? [...candidates].find(([, j]) => j.state === 'met')?.[0] : undefined;
  if (satisfied !== undefined) return { ...common, satisfied };

  const options: StepUpOption[] = [];
  const unreachable: Unreachable[] = [];
  for (const [value, j] of candidates) {
    if (j.state === 'unreachable') unreachable.push({ value, reason: j.reason });
  }
  if (minimum !== undefined && minimumJudgement?.state === 'unreachable') {
    if (!candidates.has(minimum)) unreachable.push({ value: minimum, reason: minimumJudgement.reason });
  } else {
    const floor = minimumJudgement?.state === 'reachable' ? minimumJudgement : undefined;
    for (const [value, j] of candidates) {
      if (j.state === 'reachable') {
        options.push(option(value, j.qor, conjoin(j.missing, floor?.missing ?? []), [...j.unmatched, ...(floor?.unmatched ?? [])]));
      } else if (j.state === 'met' && floor) {
        options.push(option(value, floor.qor, conjoin(floor.missing), floor.unmatched));
      }
    }
  }
  return { ...common, satisfied: undefined, options, unreachable };
}

// ---------------------------------------------------------------------------------------------
// Internals

function option(value: string, qor: Qor, missing: Clauses, unmatched: readonly MethodKind[]): StepUpOption {
  const kinds = [...new Set(unmatched)].filter((kind) => missing.some((clause) => clause.includes(kind)));
  return kinds.length ? { value, qor, missing, unmatched: kinds } : { value, qor, missing };
}

type Named = { kind: 'qor'; row: Qor } | { kind: 'lot'; row: LevelOfTrust } | { kind: 'qoa'; row: Qoa };

interface CatalogueIndex {
  catalogue: PolicyCatalogue;
  strengths: Map<number, QorStrength>;
  qoas: Map<number, Qoa>;
  named: Map<string, Named>;
}

function indexOf(catalogue: PolicyCatalogue): CatalogueIndex {
  const named = new Map<string, Named>();
  const add = (systemName: string, entry: Named) => {
    if (!named.has(systemName)) named.set(systemName, entry);
  };
  for (const row of catalogue.lots) add(row.systemName, { kind: 'lot', row });
  for (const row of catalogue.qors) add(row.systemName, { kind: 'qor', row });
  for (const row of catalogue.qoas) add(row.systemName, { kind: 'qoa', row });
  return {
    catalogue,
    strengths: new Map(catalogue.strengths.map((s) => [s.id, s])),
    qoas: new Map(catalogue.qoas.map((q) => [q.id, q])),
    named,
  };
}

/** QoRs whose strength exists, weakest first (strength level, then id). */
function placedQors(catalogue: PolicyCatalogue): Qor[] {
  const strengths = new Map(catalogue.strengths.map((s) => [s.id, s.level]));
  const placed = catalogue.qors.flatMap((qor) => {
    const level = strengths.get(qor.strengthId);
    return level === undefined ? [] : [{ qor, level }];
  });
  placed.sort((a, b) => a.level - b.level || a.qor.id - b.qor.id);
  return placed.map((p) => p.qor);
}

function judgeValue(index: CatalogueIndex, value: string, state: LoginState): Judgement | undefined {
  const named = index.named.get(value);
  if (!named) return undefined;
  switch (named.kind) {
    case 'qoa':
      return state.qoaLevel >= named.row.level ? { state: 'met' } : { state: 'unreachable', reason: 'qoa_too_low' };
    case 'qor':
      return judgeQor(index, named.row, state.verifications);
    case 'lot':
      return judgeLot(index, named.row, state);
  }
}

function judgeQor(index: CatalogueIndex, qor: Qor, held: readonly HeldVerification[]): Judgement {
  if (!index.strengths.has(qor.strengthId)) return { state: 'unreachable', reason: 'misconfigured' };
  return reachable(qor, held);
}

/** A QoR judged by what is missing: met, reachable by verifying, or never (Dummy). */
function reachable(qor: Qor, held: readonly HeldVerification[]): Judgement {
  const missing = missingFor(qor, held);
  if (missing === 'never') return { state: 'unreachable', reason: 'dummy' };
  return missing.clauses.length === 0 ? { state: 'met' } : { state: 'reachable', qor, missing: missing.clauses, unmatched: missing.unmatched ?? [] };
}

function judgeLot(index: CatalogueIndex, lot: LevelOfTrust, state: LoginState): Judgement {
  const qoa = index.qoas.get(lot.qoaId);
  const strength = index.strengths.get(lot.qorStrengthId);
  if (!qoa || !strength) return { state: 'unreachable', reason: 'misconfigured' };
  if (state.qoaLevel < qoa.level) return { state: 'unreachable', reason: 'qoa_too_low' };
  if (!requiredChecks(lot).every((check) => state.passedChecks.has(check))) return { state: 'unreachable', reason: 'check_failed' };

  const strongEnough = placedQors(index.catalogue).filter(
    (qor) => qor.steps !== QorSteps.Dummy && (index.strengths.get(qor.strengthId)?.level ?? -Infinity) >= strength.level,
  );
  if (strongEnough.some((qor) => fulfils(qor, state.verifications))) return { state: 'met' };
  const weakest = strongEnough[0];
  if (!weakest) return { state: 'unreachable', reason: 'no_qor' };
  return reachable(weakest, state.verifications);
}

/**
 * The check that a login's location met the geofencing thresholds of the Level of Trust
 * `systemName`: one per level, since levels have thresholds of their own.
 */
export const geofencingCheck = (systemName: string): string => `geofencing:${systemName}`;

/** The names of the checks a LoT requires (see `LevelOfTrustChecks`). */
export function requiredChecks(lot: LevelOfTrust): string[] {
  const checks: string[] = [];
  if (lot.checks.geofencing && lot.checks.geofencing.required !== false) checks.push(geofencingCheck(lot.systemName));
  return checks;
}

/** The conjunction of clause lists, without duplicate clauses or clauses implied by a narrower one; fresh arrays. */
function conjoin(...lists: Clauses[]): Clauses {
  const all = lists.flat();
  const covers = (narrow: MethodKind[], wide: MethodKind[]) => narrow.every((k) => wide.includes(k));
  return all
    .filter((clause, i) => !all.some((other, j) => j !== i && covers(other, clause) && (other.length < clause.length || j < i)))
    .map((clause) => [...clause]);
}
