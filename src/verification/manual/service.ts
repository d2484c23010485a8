/**
 * The counter's use cases, for the user's pages and for the verifier desk. Everything that
 * changes a case also moves its verification record and writes the audit log in one transaction.
 * Nothing personal (names, date of birth, document number) goes into the audit log or the logs.
 */
import crypto from 'node:crypto';

import { decodeJwt } from 'jose';

import { audit } from '../../audit/index.js';
import type { Db } from '../../db/index.js';
import { expiresAt as verificationExpiry, type MethodKind } from '../../qor/index.js';
import { identityEvidence, type ClaimedIdentity } from '../identity.js';
import { recordVerification, updateVerificationStatus } from '../repository.js';
import {
  cancelCase,
  decideCase,
  expireCases,
  findCase,
  findCaseByShortCode,
  findLastClosedCase,
  findOpenCase,
  heldBy,
  insertCase,
  lockCase,
  releaseCase,
  type CounterCase,
  type DocumentRecord,
} from './cases.js';
import { isRejectReason, parseDocumentForm, type DocumentErrors } from './document-form.js';
import { documentMac, parseDeskInput, signReference, verifyReference, type CounterKeys } from './reference.js';

export const COUNTER_METHOD_ID = 'manual-counter';

export interface CounterServiceDeps {
  db: Db;
  keys: CounterKeys;
  /** How long a document stays valid (days). */
  caseTtlDays: number;
  /** How long a verifier's lock lasts (minutes). */
  lockMinutes: number;
  /** How long an approved verification counts (policies/qor.json `verification.validityDays`). */
  validityDays: number;
  kind?: MethodKind;
  now?: () => Date;
}

/** Why the desk cannot open a case. */
export type OpenRefusal =
  | { reason: 'unreadable' | 'invalid' | 'not_found' | 'expired' | 'used' | 'cancelled' | 'own_case'; caseId?: string | undefined }
  | { reason: 'locked'; caseId: string; lockedBy: string; lockedAt: Date };

export type DecisionRefusal = { reason: 'not_held' } | { reason: 'invalid_form'; errors: DocumentErrors } | { reason: 'invalid_reason' };

const subject = (caseId: string) => `counter-case:${caseId}`;

export class CounterService {
  private readonly db: Db;
  private readonly kind: MethodKind;
  private readonly now: () => Date;

  constructor(private readonly deps: CounterServiceDeps) {
    this.db = deps.db;
    this.kind = deps.kind ?? 'manual';
    this.now = deps.now ?? (() => new Date());
  }

  // ---------------------------------------------------------------------------- the user's side

  /** The account's open case, after closing those whose document expired. */
  async openCaseOf(accountId: string): Promise<CounterCase | undefined> {
    await this.expire(accountId);
    return findOpenCase(this.db, accountId, this.now());
  }

  /** A case, with its state brought up to date (an open case past its expiry is closed now). */
  async find(caseId: string): Promise<CounterCase | undefined> {
    const c = await findCase(this.db, caseId);
    if (c?.state !== 'open' || c.expiresAt > this.now()) return c;
    await this.expire(c.accountId);
    return findCase(this.db, caseId);
  }

  /** The account's last closed case (how the previous visit ended), if any. */
  lastClosedCaseOf(accountId: string): Promise<CounterCase | undefined> {
    return findLastClosedCase(this.db, accountId);
  }

  /**
   * Opens a case for the identity the user entered, with a pending verification bound to the
   * login's Mobile ID serial. An account has at most one open case: asking again returns it.
   */
  async create(opts: { accountId: string; claimed: ClaimedIdentity; serial: string; locale: string }): Promise<{ case: CounterCase; created: boolean }> {
    const existing = await this.openCaseOf(opts.accountId);
    if (existing) return { case: existing, created: false };
    const now = this.now();
    const id = crypto.randomUUID();
    try {
      const created = await this.db.transaction(async (trx) => {
        const verification = await recordVerification(trx, {
          accountId: opts.accountId,
          method: COUNTER_METHOD_ID,
          kind: this.kind,
          status: 'pending',
          providerReference: id,
          evidence: {},
          boundSerial: opts.serial || null,
        });
        const c = await insertCase(trx, {
          id,
          accountId: opts.accountId,
          verificationId: verification.id,
          claimed: opts.claimed,
          boundSerial: opts.serial || null,
          locale: opts.locale,
          expiresAt: new Date(now.getTime() + this.deps.caseTtlDays * 86_400_000),
        });
        await audit(trx, {
          actor: `account:${opts.accountId}`,
          action: 'counter.case.create',
          subject: subject(c.id),
          after: { state: 'open' },
          detail: { verification: verification.id, expiresAt: c.expiresAt.toISOString() },
        });
        return c;
      });
      return { case: created, created: true };
    } catch (err) {
      // The same account created a case at the same moment (one open case per account).
      const again = (err as { code?: unknown }).code === '23505' ? await findOpenCase(this.db, opts.accountId, this.now()) : undefined;
      if (again) return { case: again, created: false };
      throw err;
    }
  }

  /** The user withdraws the case (e.g. to correct the data); refused while a verifier checks it. */
  async cancel(accountId: string, caseId: string): Promise<'cancelled' | 'in_check' | 'not_open'> {
    const now = this.now();
    return this.db.transaction(async (trx) => {
      const c = await cancelCase(trx, { id: caseId, accountId, now });
      if (!c) {
        const current = await findCase(trx, caseId);
        return current && current.accountId === accountId && current.state === 'open' && current.expiresAt > now ? 'in_check' : 'not_open';
      }
      await updateVerificationStatus(trx, c.verificationId, 'pending', { status: 'revoked', evidence: { reason: 'cancelled_by_user' } });
      await audit(trx, { actor: `account:${accountId}`, action: 'counter.case.cancel', subject: subject(c.id), before: { state: 'open' }, after: { state: 'cancelled' } });
      return 'cancelled';
    });
  }

  /** The QR code's content: the desk URL with the signed reference (no personal data). */
  async scanUrl(issuer: string, c: CounterCase): Promise<string> {
    const token = await signReference(this.deps.keys, { caseId: c.id, jti: c.jti, expiresAt: c.expiresAt });
    return `${issuer}/admin/desk/scan?t=${token}`;
  }

  /**
   * The unguessable links of the case's document (outside the login). The key is a query
   * parameter, so that it stays out of the access log (which records paths only).
   */
  documentLinks(c: Pick<CounterCase, 'id'>): { html: string; pdf: string } {
    const key = `key=${documentMac(this.deps.keys, c.id)}`;
    return { html: `/counter/documents/${c.id}?${key}`, pdf: `/counter/documents/${c.id}/pdf?${key}` };
  }

  /** Closes expired open cases (all, or one account's) and withdraws their pending verifications. */
  async expire(accountId?: string): Promise<number> {
    const now = this.now();
    return this.db.transaction(async (trx) => {
      const expired = await expireCases(trx, now, accountId);
      for (const c of expired) {
        await updateVerificationStatus(trx, c.verificationId, 'pending', { status: 'revoked', evidence: { reason: 'expired' } });
        await audit(trx, { actor: 'system', action: 'counter.case.expire', subject: subject(c.id), before: { state: 'open' }, after: { state: 'expired' } });
      }
      return expired.length;
    });
  }

  // ---------------------------------------------------------------------------- the verifier desk

  /**
   * The desk scanned a QR code or typed a short code: the case, locked to this verifier, or why
   * not. Expired, used and withdrawn codes, a case another verifier has open, and the verifier's
   * own case are refused. Every attempt is audited.
   */
  async open(input: string, verifierId: string): Promise<{ ok: true; case: CounterCase } | ({ ok: false } & OpenRefusal)> {
    const refusal = await this.findForDesk(input, verifierId);
    const actor = `account:${verifierId}`;
    const parsed = parseDeskInput(input);
    const via = parsed ? ('token' in parsed ? 'qr' : 'code') : 'unreadable';
    if ('reason' in refusal) {
      await audit(this.db, {
        actor,
        action: 'counter.case.open_refused',
        subject: refusal.caseId ? subject(refusal.caseId) : undefined,
        detail: { reason: refusal.reason, via },
      });
      return { ok: false, ...refusal };
    }
    await audit(this.db, { actor, action: 'counter.case.open', subject: subject(refusal.case.id), detail: { via, lockedUntil: refusal.case.lockExpiresAt?.toISOString() } });
    return { ok: true, case: refusal.case };
  }

  private async findForDesk(input: string, verifierId: string): Promise<{ case: CounterCase } | OpenRefusal> {
    const parsed = parseDeskInput(input);
    if (!parsed) return { reason: 'unreadable' };
    const now = this.now();
    let found: CounterCase | undefined;
    if ('token' in parsed) {
      const check = await verifyReference(this.deps.keys, parsed.token, now);
      if (!check.ok) {
        // An expired token passed its signature check: name its case in the audit log.
        const caseId = check.reason === 'expired' ? decodeJwt(parsed.token).sub : undefined;
        return { reason: check.reason, caseId };
      }
      found = await findCase(this.db, check.caseId);
      if (!found || found.jti !== check.jti) return { reason: 'invalid', caseId: found?.id };
    } else {
      found = await findCaseByShortCode(this.db, parsed.shortCode);
      if (!found) return { reason: 'not_found' };
    }
    const caseId = found.id;
    if (found.accountId === verifierId) return { reason: 'own_case', caseId };
    if (found.state === 'approved' || found.state === 'rejected') return { reason: 'used', caseId };
    if (found.state === 'cancelled') return { reason: 'cancelled', caseId };
    if (found.state === 'expired' || found.expiresAt <= now) {
      await this.expire(found.accountId);
      return { reason: 'expired', caseId };
    }
    const locked = await lockCase(this.db, { id: caseId, verifierId, now, lockMinutes: this.deps.lockMinutes });
    if (locked) return { case: locked };
    const current = await findCase(this.db, caseId);
    if (current?.state === 'open' && current.lockedBy && current.lockedAt) return { reason: 'locked', caseId, lockedBy: current.lockedBy, lockedAt: current.lockedAt };
    return { reason: current?.state === 'cancelled' ? 'cancelled' : current?.state === 'expired' ? 'expired' : 'used', caseId };
  }

  /** The case the verifier holds (opened through the QR code or short code), or undefined. */
  async held(caseId: string, verifierId: string): Promise<CounterCase | undefined> {
    const c = await findCase(this.db, caseId);
    return c && heldBy(c, verifierId, this.now()) ? c : undefined;
  }

  /** Approves: records the document; the verification counts from the user's next login. */
  async approve(caseId: string, verifierId: string, form: Record<string, unknown>): Promise<{ ok: true; case: CounterCase } | ({ ok: false } & DecisionRefusal)> {
    const now = this.now();
    const parsed = parseDocumentForm(form, now);
    if (parsed.errors) return { ok: false, reason: 'invalid_form', errors: parsed.errors };
    const document = parsed.document;
    return this.db.transaction(async (trx) => {
      const c = await decideCase(trx, { id: caseId, verifierId, now, state: 'approved', document });
      if (!c) return { ok: false as const, reason: 'not_held' as const };
      await updateVerificationStatus(trx, c.verificationId, 'pending', {
        status: 'approved',
        evidence: approvalEvidence(c, document, verifierId),
        verifiedAt: now,
        expiresAt: verificationExpiry(now, { days: this.deps.validityDays }),
      });
      await audit(trx, {
        actor: `account:${verifierId}`,
        action: 'counter.case.approve',
        subject: subject(c.id),
        before: { state: 'open' },
        after: { state: 'approved' },
        detail: { account: c.accountId, verification: c.verificationId, documentType: document.type, issuingCountry: document.issuingCountry },
      });
      return { ok: true as const, case: c };
    });
  }

  /** Rejects with a reason code. */
  async reject(caseId: string, verifierId: string, reason: unknown): Promise<{ ok: true; case: CounterCase } | ({ ok: false } & DecisionRefusal)> {
    if (!isRejectReason(reason)) return { ok: false, reason: 'invalid_reason' };
    const now = this.now();
    return this.db.transaction(async (trx) => {
      const c = await decideCase(trx, { id: caseId, verifierId, now, state: 'rejected', reason });
      if (!c) return { ok: false as const, reason: 'not_held' as const };
      await updateVerificationStatus(trx, c.verificationId, 'pending', { status: 'rejected', evidence: { rejection_reason: reason, case_id: c.id } });
      await audit(trx, {
        actor: `account:${verifierId}`,
        action: 'counter.case.reject',
        subject: subject(c.id),
        before: { state: 'open' },
        after: { state: 'rejected' },
        detail: { account: c.accountId, verification: c.verificationId, reason },
      });
      return { ok: true as const, case: c };
    });
  }

  /** Gives the case back without a decision (another verifier may open it at once). */
  async release(caseId: string, verifierId: string): Promise<boolean> {
    const released = await releaseCase(this.db, { id: caseId, verifierId, now: this.now() });
    if (released) await audit(this.db, { actor: `account:${verifierId}`, action: 'counter.case.release', subject: subject(caseId) });
    return released;
  }
}

/** The evidence of an approved case (see src/qor/verified-claims.ts), in OIDC4IA terms. */
export function approvalEvidence(c: CounterCase, document: DocumentRecord, verifierId: string): Record<string, unknown> {
  return {
    ...identityEvidence(c.claimed),
    evidence_type: 'document',
    document_details: {
      type: document.type,
      document_number: document.number,
      issuer: { country: document.issuingCountry },
      date_of_expiry: document.expiryDate,
    },
    case_id: c.id,
    verifier: `account:${verifierId}`,
  };
}
