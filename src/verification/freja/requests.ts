/**
 * One Freja eID verification, from the claimed identity to a recorded verification, kept in
 * PostgreSQL (table freja_requests) so that any instance can continue it and a restart loses none.
 *
 *   start   rate limit per account → cancel an older request of the same login → initAuthentication
 *           (INFERRED: the person scans our QR code or opens the app on this phone) → stored
 *   check   at most one outbound getOneResult per request and poll interval, however many browsers
 *           or instances ask → pending statuses are stored; a final status ends the request;
 *           APPROVED → JWS verified (x5t signer, chain, RS256) → bound to our request → used once
 *           (replay) → registration level → names and date of birth compared with the claim →
 *           verification recorded (bound to the Mobile ID serial) and audited
 *   outage  a failed poll (connection refused, HTTP 5xx, timeout) keeps the request pending with a
 *           notice; when the time is up it ends with the "unavailable" reason, and the user can retry
 */
import crypto from 'node:crypto';

import { audit } from '../../audit/index.js';
import type { Db } from '../../db/index.js';
import { AppError } from '../../errors.js';
import type { MethodKind } from '../../qor/index.js';
import { identityEvidence, identityMismatches, type ClaimedIdentity } from '../identity.js';
import { recordVerification } from '../repository.js';
import type { FrejaApi } from './client.js';
import { FrejaError, UNAVAILABLE_KEY } from './errors.js';
import { verifyFrejaJws } from './jws.js';
import type { FrejaPolicy } from './policy.js';
import { AUTHENTICATION_VALIDITY_MS, type RegistrationLevel } from './protocol.js';
import type { AuthResultEnvelope } from './responses.js';
import { interpretApprovedResult, type FrejaIdentity } from './result.js';
import { statusInfo, type FrejaStatus } from './statuses.js';
import type { FrejaTrust } from './trust.js';

const TABLE = 'freja_requests';
export const METHOD_ID = 'freja-eid';
/** What is left of the claimed identity once a request has ended: nothing. */
const FORGOTTEN = '{}';

export type RequestState = 'pending' | 'verified' | 'failed' | 'cancelled';

/** Why a request ended: shown on the step-up page (`messageKey`), logged and audited (`code`). */
export interface RequestOutcome {
  code: string;
  messageKey: string;
  kind: 'error' | 'info';
  providerCode?: number | undefined;
}

export interface FrejaRequestView {
  id: string;
  authRef: string;
  accountId: string;
  interactionUid: string;
  loginId: string;
  state: RequestState;
  frejaStatus: FrejaStatus | undefined;
  /** What the waiting page says now. */
  statusKey: string;
  /** A transient problem (Freja unreachable): the page says so and keeps trying. */
  problemKey: string | undefined;
  outcome: RequestOutcome | undefined;
  expiresAt: Date;
}

export interface FrejaSettings {
  policy: FrejaPolicy;
  trust: FrejaTrust;
  /** Minimum time between two outbound result queries of one request. */
  pollIntervalMs: number;
  /** The kind the QoR policy gives the method (auto). */
  kind: MethodKind;
  /** When a verification stops counting. */
  expiresAt(verifiedAt: Date): Date;
  /** Wait this long beyond Freja's two minutes before giving up on a silent request. */
  graceMs?: number;
}

export interface FrejaLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

interface Row {
  id: string;
  auth_ref: string;
  account_id: string;
  interaction_uid: string;
  login_id: string;
  bound_serial: string;
  claimed_identity: ClaimedIdentity | string;
  min_registration_level: RegistrationLevel;
  state: RequestState;
  freja_status: FrejaStatus | null;
  outcome: RequestOutcome | string | null;
  last_problem: { code: string; messageKey: string } | string | null;
  created_at: Date;
  expires_at: Date;
  next_poll_at: Date;
}

const parse = <T>(v: T | string | null): T | undefined => (v === null ? undefined : typeof v === 'string' ? (JSON.parse(v) as T) : v);

function toView(row: Row): FrejaRequestView {
  const status = row.freja_status ?? 'STARTED';
  return {
    id: row.id,
    authRef: row.auth_ref,
    accountId: row.account_id,
    interactionUid: row.interaction_uid,
    loginId: row.login_id,
    state: row.state,
    frejaStatus: row.freja_status ?? undefined,
    statusKey: statusInfo(status).messageKey,
    problemKey: parse(row.last_problem)?.messageKey,
    outcome: parse<RequestOutcome>(row.outcome),
    expiresAt: row.expires_at,
  };
}

export interface StartRequest {
  accountId: string;
  interactionUid: string;
  loginId: string;
  serial: string;
  claimed: ClaimedIdentity;
}

export class FrejaVerifications {
  constructor(
    private readonly db: Db,
    private readonly api: FrejaApi,
    private readonly settings: FrejaSettings,
    private readonly log: FrejaLog,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Ask Freja for an authentication. Throws FrejaError (Freja's answer) or AppError (rate limit). */
  async start(p: StartRequest): Promise<FrejaRequestView> {
    const now = this.clock();
    await this.checkRateLimit(p.accountId, now);
    const older = (await this.db(TABLE).where({ interaction_uid: p.interactionUid, state: 'pending' }).select('id')) as { id: string }[];
    for (const { id } of older) await this.cancel(id);

    const { policy } = this.settings;
    const accepted = await this.api.initAuthentication({
      userInfoType: 'INFERRED',
      userInfo: '',
      minRegistrationLevel: policy.minRegistrationLevel,
      attributesToReturn: policy.attributesToReturn,
    });
    const id = crypto.randomUUID();
    await this.db(TABLE).insert({
      id,
      auth_ref: accepted.authRef,
      account_id: p.accountId,
      interaction_uid: p.interactionUid,
      login_id: p.loginId,
      bound_serial: p.serial,
      claimed_identity: JSON.stringify(p.claimed),
      min_registration_level: policy.minRegistrationLevel,
      state: 'pending',
      freja_status: 'STARTED',
      created_at: now,
      updated_at: now,
      expires_at: new Date(now.getTime() + AUTHENTICATION_VALIDITY_MS + (this.settings.graceMs ?? 15_000)),
      next_poll_at: new Date(now.getTime() + this.settings.pollIntervalMs),
    });
    this.log.info({ freja: id, level: policy.minRegistrationLevel }, 'freja eid authentication started');
    return this.get(id);
  }

  async get(id: string): Promise<FrejaRequestView> {
    const row = await this.row(id);
    if (!row) throw notFound();
    return toView(row);
  }

  /**
   * The state of a request, asking Freja when the poll interval has passed. Whoever wins the
   * conditional update does the outbound call; everyone else reads the stored state.
   */
  async check(id: string): Promise<FrejaRequestView> {
    const row = await this.row(id);
    if (!row) throw notFound();
    if (row.state !== 'pending') return toView(row);
    const now = this.clock();
    if (row.expires_at <= now) {
      const problem = parse(row.last_problem);
      await this.finish(row, 'failed', problem
        ? { code: 'unavailable', messageKey: UNAVAILABLE_KEY, kind: 'error' }
        : { code: 'expired', messageKey: statusInfo('EXPIRED').messageKey, kind: 'error' });
      this.api.cancel(row.auth_ref).catch(() => undefined);
      return this.get(id);
    }
    if (row.next_poll_at > now) return toView(row);
    const claimed = await this.db(TABLE)
      .where({ id, next_poll_at: row.next_poll_at, state: 'pending' })
      .update({ next_poll_at: new Date(now.getTime() + this.settings.pollIntervalMs), last_poll_at: now, polls: this.db.raw('polls + 1') });
    if (!claimed) return toView(row);

    try {
      const result = await this.api.getOneResult(row.auth_ref);
      const info = statusInfo(result.status);
      if (!info.final) {
        await this.db(TABLE).where({ id, state: 'pending' }).update({ freja_status: result.status, last_problem: null, updated_at: now });
      } else if (result.status === 'APPROVED') {
        await this.complete(row, result);
      } else {
        await this.finish(row, info.state === 'cancelled' ? 'cancelled' : 'failed', {
          code: result.status.toLowerCase(),
          messageKey: info.messageKey,
          kind: info.state === 'cancelled' ? 'info' : 'error',
        }, result.status);
      }
    } catch (err) {
      if (err instanceof FrejaError && err.transient) {
        await this.db(TABLE).where({ id, state: 'pending' }).update({ last_problem: JSON.stringify({ code: err.code, messageKey: err.messageKey }), updated_at: now });
        this.log.warn({ freja: id, code: err.code, detail: err.detail }, 'freja eid result query failed; will retry');
      } else if (err instanceof FrejaError) {
        this.log.warn({ freja: id, code: err.code, providerCode: err.providerCode, detail: err.detail }, 'freja eid result refused');
        await this.finish(row, 'failed', { code: err.code, messageKey: err.messageKey, kind: 'error', providerCode: err.providerCode });
      } else {
        throw err;
      }
    }
    return this.get(id);
  }

  /** The person gave up on our page: cancel at Freja (best effort) and end the request. */
  async cancel(id: string): Promise<FrejaRequestView> {
    const row = await this.row(id);
    if (!row) throw notFound();
    if (row.state !== 'pending') return toView(row);
    try {
      await this.api.cancel(row.auth_ref);
    } catch (err) {
      // Freja ends it by itself after two minutes; nothing the person needs to know.
      this.log.warn({ freja: id, code: (err as FrejaError).code, providerCode: (err as FrejaError).providerCode }, 'freja eid cancel failed');
    }
    await this.finish(row, 'cancelled', { code: 'rp_canceled', messageKey: statusInfo('RP_CANCELED').messageKey, kind: 'info' }, 'RP_CANCELED');
    return this.get(id);
  }

  private async complete(row: Row, result: AuthResultEnvelope): Promise<void> {
    const now = this.clock();
    const verified = await verifyFrejaJws(result.details!, this.settings.trust, { now });
    const outcome = interpretApprovedResult(
      verified.payload,
      { authRef: row.auth_ref, minRegistrationLevel: row.min_registration_level, requestedAt: row.created_at, now },
      this.settings.policy,
    );
    await this.rememberResult(verified.digest, row.auth_ref, now);
    if (!outcome.ok) {
      await this.finish(row, 'failed', { code: outcome.reason, messageKey: outcome.messageKey, kind: 'error' }, 'APPROVED', { registrationLevel: outcome.registrationLevel });
      return;
    }
    const claimed = parse<ClaimedIdentity>(row.claimed_identity)!;
    const mismatches = identityMismatches(claimed, outcome.identity);
    if (mismatches.length) {
      const messageKey = mismatches.includes('birthDate') && mismatches.length === 1 ? 'verification.freja.mismatch_birthdate' : 'verification.freja.mismatch';
      await this.finish(row, 'failed', { code: 'identity_mismatch', messageKey, kind: 'error' }, 'APPROVED', { fields: mismatches });
      return;
    }
    await this.record(row, outcome.identity, verified.x5t, now);
  }

  private async record(row: Row, identity: FrejaIdentity, x5t: string, now: Date): Promise<void> {
    const claimed = await this.db(TABLE)
      .where({ id: row.id, state: 'pending' })
      .update({ state: 'verified', freja_status: 'APPROVED', last_problem: null, claimed_identity: FORGOTTEN, updated_at: now, completed_at: now });
    if (!claimed) return;
    const verification = await recordVerification(this.db, {
      accountId: row.account_id,
      method: METHOD_ID,
      kind: this.settings.kind,
      status: 'approved',
      providerReference: row.auth_ref,
      evidence: {
        ...identityEvidence(identity),
        evidence_type: 'electronic_record',
        provider: 'Freja eID',
        registration_level: identity.registrationLevel,
        approved_at: identity.approvedAt.toISOString(),
        signer_x5t: x5t,
        ...(identity.ssn ? { ssn: identity.ssn } : {}),
      },
      boundSerial: row.bound_serial,
      verifiedAt: now,
      expiresAt: this.settings.expiresAt(now),
    });
    const outcome: RequestOutcome = { code: 'verified', messageKey: 'verification.freja.verified', kind: 'info' };
    await this.db(TABLE).where({ id: row.id }).update({ verification_id: verification.id, outcome: JSON.stringify(outcome) });
    await audit(this.db, {
      actor: `account:${row.account_id}`,
      action: 'verification.freja-eid.approved',
      subject: `account:${row.account_id}`,
      detail: { request: row.id, authRef: row.auth_ref, verification: verification.id, registrationLevel: identity.registrationLevel, ssn: identity.ssn ? 'returned' : 'absent' },
    });
    this.log.info({ freja: row.id, level: identity.registrationLevel }, 'freja eid verification recorded');
  }

  /** A signed result counts once: a second sight of the same JWS is a replay. */
  private async rememberResult(digest: string, authRef: string, now: Date): Promise<void> {
    try {
      await this.db('freja_seen_results').insert({ digest, auth_ref: authRef, seen_at: now });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new FrejaError({ code: 'replayed', status: 502, messageKey: 'verification.freja.invalid_result', detail: 'replay: this signed result was used before' });
      }
      throw err;
    }
  }

  private async finish(row: Row, state: Exclude<RequestState, 'pending' | 'verified'>, outcome: RequestOutcome, frejaStatus?: FrejaStatus, auditDetail: Record<string, unknown> = {}): Promise<void> {
    const now = this.clock();
    const changed = await this.db(TABLE)
      .where({ id: row.id, state: 'pending' })
      .update({
        state,
        outcome: JSON.stringify(outcome),
        claimed_identity: FORGOTTEN,
        ...(frejaStatus ? { freja_status: frejaStatus } : {}),
        updated_at: now,
        completed_at: now,
      });
    if (!changed) return;
    await audit(this.db, {
      actor: `account:${row.account_id}`,
      action: `verification.freja-eid.${state}`,
      subject: `account:${row.account_id}`,
      detail: { request: row.id, authRef: row.auth_ref, code: outcome.code, ...(outcome.providerCode !== undefined ? { providerCode: outcome.providerCode } : {}), ...auditDetail },
    });
    this.log.info({ freja: row.id, state, code: outcome.code, providerCode: outcome.providerCode }, 'freja eid request ended');
  }

  private async row(id: string): Promise<Row | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    return (await this.db(TABLE).where({ id }).first()) as Row | undefined;
  }

  private async checkRateLimit(accountId: string, now: Date): Promise<void> {
    const { max, windowSeconds } = this.settings.policy.rateLimit;
    const rows = await this.db
      .count<{ count: string | number }[]>('* as count')
      .from(
        this.db(TABLE)
          .select(this.db.raw('1'))
          .where('account_id', accountId)
          .andWhere('created_at', '>', new Date(now.getTime() - windowSeconds * 1000))
          .limit(max)
          .as('recent'),
      );
    if (Number(rows[0]?.count ?? 0) >= max) {
      this.log.warn({ account: accountId }, 'freja eid rate limit reached');
      throw new AppError({ code: 'rate_limited', status: 429, messageKey: 'verification.freja.rate_limited', params: { minutes: Math.ceil(windowSeconds / 60) } });
    }
  }
}

function notFound(): AppError {
  return new AppError({ code: 'freja_request_not_found', status: 404, messageKey: 'error.session_expired' });
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}
