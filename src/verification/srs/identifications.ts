/**
 * One SRS identification, from the user's details to a recorded verification, kept in
 * PostgreSQL so that any instance continues it:
 *
 *   prepare   the step-up page chose srs-video / srs-bank: a draft for this login (or the user's
 *             open identification of that method is picked up again)
 *   begin     the user's details → catalogue entry the policy accepts → POST /api/providers/{isp}/{method}
 *             → refId and targetURL. One request orders it (draft → starting → started); a provider
 *             outage puts it back to a draft that keeps the details.
 *   check     at most one status query per poll interval, however many browsers or instances ask
 *   callback  the partner's signed JWT (verified by CallbackVerifier) brings status and identity
 *   confirm   identity data must match the claim, the verify call must find the evidence for the
 *             user's Mobile ID number → verification recorded, bound to the Mobile ID serial.
 *
 * When it ends (recorded, failed, cancelled, expired) the row forgets the claimed and proven identity
 * and the e-mail address: the verification record keeps what it needs.
 */
import { findAccountById } from '../../accounts/index.js';
import { audit } from '../../audit/index.js';
import type { Db } from '../../db/index.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { expiresAt } from '../../qor/engine.js';
import { identityEvidence, identityMismatches } from '../identity.js';
import type { StepUpContext } from '../method.js';
import { recordVerification } from '../repository.js';
import type { CallbackClaims } from './callback-jwt.js';
import type { SrsClient } from './client.js';
import { SrsError } from './errors.js';
import { catalogueFilters, chooseEntry, requiredLoa, type SrsPolicy } from './policy.js';
import { buildStartRequest, distinguishedName } from './requests.js';
import type { ProvenIdentity } from './responses.js';
import { statusInfo, type SrsStatus } from './statuses.js';
import {
  abandonStart,
  claimLease,
  claimStart,
  claimPoll,
  countStartedSince,
  findByRefId,
  findIdentification,
  findOpen,
  insertDraft,
  releaseLease,
  TABLE,
  updateIdentification,
  type Details,
  type Identification,
} from './store.js';

export interface SrsSettings {
  policy: SrsPolicy;
  /** `claimedIdentity` of the verify call. */
  claimedIdentity: string;
  /** Our callback URL, given to SRS with every identification (also the callback JWT's `aud`). */
  callbackUrl: string;
  pollIntervalMs: number;
  identificationTtlSeconds: number;
  /** How long a verification counts (policies/qor.json `verification.validityDays`). */
  validityDays: number;
  /** The SRS call timeout (SRS_TIMEOUT_MS): the leases are derived from it. */
  timeoutMs: number;
}

/** An identification as the pages see it; `notice` is a passing condition (e.g. SRS unreachable). */
export type IdentificationState = Identification & { notice?: string | undefined };

/**
 * How long a lease lasts for work that makes `calls` SRS calls: each call may take the timeout to
 * connect and the timeout again to answer, plus a margin for the database.
 */
export function leaseMs(timeoutMs: number, calls: number): number {
  return calls * 2 * timeoutMs + 30_000;
}

/** How long a request waits for another request that is ordering the same identification. */
const SETTLE_WAIT_MS = 15_000;

/** The identification was recorded or ended by another request or instance in the meantime. */
class AlreadyEnded extends Error {}

/** What an ended identification no longer keeps. */
const FORGET = { claimed: null, proven: null } as const;

function maskRef(refId: string): string {
  return refId.length > 8 ? `${refId.slice(0, 8)}…` : refId;
}

export class SrsIdentifications {
  constructor(
    private readonly db: Db,
    private readonly client: SrsClient,
    private readonly settings: SrsSettings,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Confirming: one verify call. */
  private get confirmLeaseMs(): number {
    return leaseMs(this.settings.timeoutMs, 1);
  }

  /** Ordering: token, catalogue and start calls. */
  private get startLeaseMs(): number {
    return leaseMs(this.settings.timeoutMs, 3);
  }

  /** The identification to continue with for this step-up choice (a draft, or the open one). */
  async prepare(ctx: StepUpContext, method: string): Promise<Identification> {
    const now = this.now();
    const loginId = ctx.returnUrl.split('/').pop() ?? '';
    await this.endExpired(ctx.accountId, now);
    const open = await findOpen(this.db, { accountId: ctx.accountId, method, interactionUid: ctx.interactionUid, boundSerial: ctx.serial, now });
    if (open) {
      if (open.interactionUid !== ctx.interactionUid || open.loginId !== loginId) {
        // An identification begun in an earlier login of the same Mobile ID continues in this one.
        await updateIdentification(this.db, open.id, { interaction_uid: ctx.interactionUid, login_id: loginId, return_url: ctx.returnUrl, locale: ctx.locale });
        this.log.info({ identification: open.id, method }, 'srs identification resumed in a new login');
      }
      return (await findIdentification(this.db, open.id))!;
    }
    return insertDraft(this.db, {
      accountId: ctx.accountId,
      interactionUid: ctx.interactionUid,
      loginId,
      returnUrl: ctx.returnUrl,
      method,
      boundSerial: ctx.serial,
      locale: ctx.locale,
      expiresAt: new Date(now.getTime() + this.settings.identificationTtlSeconds * 1000),
    });
  }

  async get(id: string): Promise<Identification | undefined> {
    return findIdentification(this.db, id);
  }

  /** The identification once no request is ordering it at SRS any more (waits a little at most). */
  async settled(id: string, waitMs = SETTLE_WAIT_MS): Promise<Identification | undefined> {
    const until = Date.now() + waitMs;
    let i = await findIdentification(this.db, id);
    while (i?.status === 'starting' && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      i = await findIdentification(this.db, id);
    }
    return i;
  }

  /**
   * Order the identification at SRS with the user's details. Only the request that turns the draft
   * into `starting` calls SRS; others wait for its outcome. On any failure the draft is back, keeps
   * the details (the form shows them again) and the error is thrown for the page to explain.
   */
  async begin(id: string, details: Details): Promise<Identification> {
    const i = await findIdentification(this.db, id);
    if (!i) throw new AppError({ code: 'srs_identification_not_found', status: 404, messageKey: 'error.session_expired' });
    if (i.status !== 'draft' && i.status !== 'starting') return i;
    const now = this.now();
    const token = await claimStart(this.db, id, details, now, this.startLeaseMs);
    if (!token) return (await this.settled(id))!;
    let started, chosen, policy;
    try {
      policy = this.settings.policy.methods[i.method];
      if (!policy) throw new SrsError({ code: 'no_method', detail: `no policy for ${i.method}` });
      // Counts this start too: starts made at the same time all see each other.
      const recent = await countStartedSince(this.db, i.accountId, new Date(now.getTime() - 3600_000));
      if (recent > this.settings.policy.startsPerAccountPerHour) {
        throw new AppError({ code: 'srs_rate_limited', status: 429, messageKey: 'verification.srs.error.rate_limited' });
      }
      const account = await findAccountById(this.db, i.accountId);
      if (!account) throw new AppError({ code: 'login_not_found', status: 404, messageKey: 'error.session_expired' });

      chosen = chooseEntry(policy, await this.client.catalogue(catalogueFilters(policy)));
      if (!chosen) throw new SrsError({ code: 'no_method', detail: `catalogue has no entry for ${i.method}` });
      started = await this.client.start(
        chosen.entry.issuer,
        policy.realtimeMethod,
        buildStartRequest({
          ...details,
          mobile: `+${account.msisdn.replace(/\D/g, '')}`,
          language: i.locale,
          externalId: i.id,
          callbackUrl: this.settings.callbackUrl,
        }),
      );
    } catch (err) {
      await abandonStart(this.db, id, token);
      throw err;
    }
    const n = await updateIdentification(
      this.db,
      id,
      {
        status: 'started',
        isp: chosen.entry.issuer,
        isp_method: policy.realtimeMethod,
        loa: chosen.entry.loa,
        jurisdiction: chosen.jurisdiction,
        ref_id: started.refId,
        target_url: started.targetUrl,
        srs_status: 'initialized',
        message_key: statusInfo('initialized').messageKey,
        next_poll_at: new Date(now.getTime() + this.settings.pollIntervalMs),
        expires_at: new Date(now.getTime() + this.settings.identificationTtlSeconds * 1000),
        lease_until: null,
        lease_token: null,
      },
      { status: 'starting', lease_token: token },
    );
    if (!n) {
      // This start outlived its lease and another request ordered the identification again.
      this.log.warn({ identification: id, method: i.method, ref: maskRef(started.refId) }, 'srs identification ordered twice; the later order is kept');
      return (await this.settled(id))!;
    }
    await audit(this.db, {
      actor: `account:${i.accountId}`,
      action: 'verification.started',
      subject: `account:${i.accountId}`,
      detail: { method: i.method, refId: started.refId, isp: chosen.entry.issuer, loa: chosen.entry.loa, jurisdiction: chosen.jurisdiction },
    });
    this.log.info({ identification: id, method: i.method, ref: maskRef(started.refId), isp: chosen.entry.issuer, loa: chosen.entry.loa }, 'srs identification started');
    return (await findIdentification(this.db, id))!;
  }

  /** The identification, refreshed from SRS when a poll is due. */
  async check(id: string): Promise<IdentificationState> {
    const i = await findIdentification(this.db, id);
    if (!i) throw new AppError({ code: 'srs_identification_not_found', status: 404, messageKey: 'error.session_expired' });
    if (i.status !== 'started' || !i.refId) return i;
    const now = this.now();
    if (i.expiresAt <= now) {
      await this.finish(i, 'failed', 'verification.srs.expired', 'expired');
      return (await findIdentification(this.db, id))!;
    }
    if (i.nextPollAt > now || !(await claimPoll(this.db, i, new Date(now.getTime() + this.settings.pollIntervalMs)))) return i;
    try {
      const status = await this.client.identification(i.refId);
      if (status.unknown.length) this.log.warn({ identification: id, statuses: status.unknown }, 'srs reported statuses we do not know');
      await this.apply(i, status.current, status.identity, status.evidenceId);
    } catch (err) {
      if (!(err instanceof SrsError)) throw err;
      if (err.code === 'not_found') {
        await this.finish(i, 'failed', 'verification.srs.error.lost', 'unknown refId');
      } else {
        this.log.warn({ identification: id, code: err.code, detail: err.detail }, 'srs status query failed; will retry');
        return { ...(await findIdentification(this.db, id))!, notice: 'verification.srs.status.unreachable' };
      }
    }
    return (await findIdentification(this.db, id))!;
  }

  /** A verified callback JWT of the identification partner. */
  async callback(claims: CallbackClaims): Promise<Identification> {
    const i = await findByRefId(this.db, claims.refId);
    if (!i) throw new SrsError({ code: 'not_found', detail: 'callback for an unknown refId' });
    this.log.info({ identification: i.id, ref: maskRef(i.refId!), status: claims.status ?? 'unknown' }, 'srs callback received');
    if (i.status !== 'started') return i;
    if (i.expiresAt <= this.now()) {
      this.log.warn({ identification: i.id, ref: maskRef(i.refId!), status: claims.status ?? 'unknown' }, 'srs callback for an expired identification refused; nothing recorded');
      await this.finish(i, 'failed', 'verification.srs.expired', 'expired');
      throw new SrsError({ code: 'callback_expired', detail: 'callback for an expired identification' });
    }
    await this.apply(i, claims.status, claims.identity, claims.evidenceId);
    return (await findIdentification(this.db, i.id))!;
  }

  /** Take a new status (and identity data) into account. */
  private async apply(i: Identification, status: SrsStatus | undefined, identity: ProvenIdentity | undefined, evidenceId: string | undefined): Promise<void> {
    const changes: Record<string, unknown> = {};
    if (identity) changes.proven = identity;
    if (evidenceId) changes.evidence_id = evidenceId;
    if (status) {
      changes.srs_status = status;
      changes.message_key = statusInfo(status).messageKey;
    }
    if (Object.keys(changes).length) await updateIdentification(this.db, i.id, changes, { status: 'started' });
    if (!status) return;
    const journey = statusInfo(status).journey;
    if (journey === 'failed') return this.finish(i, 'failed', statusInfo(status).messageKey, status);
    if (journey === 'cancelled') return this.finish(i, 'cancelled', statusInfo(status).messageKey, status);
    if (journey === 'ready') return this.confirm(i.id);
  }

  /**
   * The identification is finished: the proven identity must match the claim, and the verify
   * call must find the evidence for the user's Mobile ID number at the LoA we require.
   */
  private async confirm(id: string): Promise<void> {
    const now = this.now();
    const lease = await claimLease(this.db, id, now, this.confirmLeaseMs);
    if (!lease) return;
    try {
      const i = (await findIdentification(this.db, id))!;
      const policy = this.settings.policy.methods[i.method];
      if (!i.proven || !i.details || !policy || !i.jurisdiction) {
        await updateIdentification(this.db, id, { message_key: 'verification.srs.status.awaiting_data' }, { status: 'started' });
        return;
      }
      const mismatches = identityMismatches(i.details, i.proven);
      if (i.details.nationality && i.proven.nationality && i.details.nationality !== i.proven.nationality) mismatches.push('nationality');
      if (mismatches.length) {
        const key = mismatches.length === 1 ? `verification.srs.mismatch.${mismatches[0]}` : 'verification.srs.mismatch';
        return await this.finish(i, 'failed', key, 'identity mismatch', { fields: mismatches });
      }
      const account = await findAccountById(this.db, i.accountId);
      if (!account) return await this.finish(i, 'failed', 'verification.srs.error.lost', 'account gone');
      let verified;
      try {
        verified = await this.client.verify({
          msisdn: account.msisdn,
          claimedIdentity: this.settings.claimedIdentity,
          assuranceLevel: requiredLoa(policy),
          distinguishedName: distinguishedName(i.proven),
          jurisdiction: i.jurisdiction,
        });
      } catch (err) {
        if (!(err instanceof SrsError)) throw err;
        this.log.warn({ identification: id, code: err.code, detail: err.detail }, 'srs verify call failed; will retry');
        await updateIdentification(this.db, id, { message_key: 'verification.srs.status.confirming' }, { status: 'started' });
        return;
      }
      if (!verified.verified) {
        // Evidence not there yet: typically the terms of use sent by SMS are not accepted yet.
        await updateIdentification(this.db, id, { message_key: 'verification.srs.status.awaiting_terms' }, { status: 'started' });
        return;
      }
      if (verified.vetterMsisdn && verified.vetterMsisdn.replace(/\D/g, '') !== account.msisdn.replace(/\D/g, '')) {
        return await this.finish(i, 'failed', 'verification.srs.error.other_phone', 'evidence of another number');
      }
      if (i.evidenceId && verified.evidenceId !== i.evidenceId) {
        // The evidence found is not the one this identification produced.
        return await this.finish(i, 'failed', 'verification.srs.status.error', 'evidence of another identification');
      }
      try {
        await this.approve(i, i.proven, verified.evidenceId, verified.serialNumber);
      } catch (err) {
        if (!(err instanceof AlreadyEnded)) throw err;
        this.log.info({ identification: id, method: i.method }, 'srs identification already ended elsewhere; nothing recorded twice');
      }
    } finally {
      await releaseLease(this.db, id, lease);
    }
  }

  private async approve(i: Identification, proven: ProvenIdentity, evidenceId: string, serialNumber: string | undefined): Promise<void> {
    const verifiedAt = this.now();
    const policy = this.settings.policy.methods[i.method]!;
    await this.db.transaction(async (trx) => {
      const v = await recordVerification(trx, {
        accountId: i.accountId,
        method: i.method,
        kind: 'auto',
        status: 'approved',
        providerReference: i.refId,
        evidence: {
          ...identityEvidence(proven),
          evidence_type: policy.evidenceType,
          provider: 'swisscom-srs',
          evidence_id: evidenceId,
          loa: i.loa,
          jurisdiction: i.jurisdiction,
          identification_method: i.ispMethod,
          identification_partner: i.isp,
          ...(serialNumber ? { srs_serial_number: serialNumber } : {}),
        },
        boundSerial: i.boundSerial,
        verifiedAt,
        expiresAt: expiresAt(verifiedAt, { days: this.settings.validityDays }),
      });
      const n = await updateIdentification(
        trx,
        i.id,
        { status: 'approved', evidence_id: evidenceId, verification_id: v.id, message_key: 'verification.srs.done', ...FORGET },
        { status: 'started' },
      );
      // Recorded or ended by someone else meanwhile: the verification above is rolled back.
      if (n !== 1) throw new AlreadyEnded();
      await audit(trx, {
        actor: `account:${i.accountId}`,
        action: 'verification.approved',
        subject: `account:${i.accountId}`,
        detail: { method: i.method, verification: v.id, refId: i.refId, evidenceId, loa: i.loa, jurisdiction: i.jurisdiction },
      });
    });
    this.log.info({ identification: i.id, method: i.method, loa: i.loa, jurisdiction: i.jurisdiction }, 'srs verification recorded');
  }

  /** The account's identifications that ran out without the user coming back end now. */
  private async endExpired(accountId: string, now: Date): Promise<void> {
    await this.db(TABLE).where({ account_id: accountId, status: 'draft' }).andWhere('expires_at', '<=', now).whereNotNull('claimed').update({ ...FORGET, updated_at: now });
    const stale = (await this.db(TABLE).where({ account_id: accountId, status: 'started' }).andWhere('expires_at', '<=', now).select('id')) as { id: string }[];
    for (const { id } of stale) {
      const i = await findIdentification(this.db, id);
      if (i) await this.finish(i, 'failed', 'verification.srs.expired', 'expired');
    }
  }

  private async finish(i: Identification, status: 'failed' | 'cancelled', messageKey: string, reason: string, extra: Record<string, unknown> = {}): Promise<void> {
    const n = await updateIdentification(this.db, i.id, { status, message_key: messageKey, ...FORGET }, { status: 'started' });
    if (!n) return;
    await audit(this.db, {
      actor: `account:${i.accountId}`,
      action: status === 'cancelled' ? 'verification.cancelled' : 'verification.failed',
      subject: `account:${i.accountId}`,
      detail: { method: i.method, refId: i.refId, reason, ...extra },
    });
    this.log.info({ identification: i.id, method: i.method, status, reason }, 'srs identification ended');
  }
}
