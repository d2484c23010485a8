/**
 * One AHV register check: take a place under the rate limit (a pending check, atomically) → ask
 * the register → decide → complete the verification (and, when confirmed, keep the encrypted
 * number) → audit. Register failures (UpiError) are audited and passed on; the pending check is
 * removed then and nothing is recorded, so the user simply tries again.
 *
 * Logs and audit carry codes only (outcome, error code, the register's fault or notice code),
 * never the register's free text, names or the number.
 */
import { audit } from '../../audit/index.js';
import type { Db } from '../../db/index.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { expiresAt } from '../../qor/index.js';
import { checkedIdentityEvidence, type ClaimedIdentity, type PersonIdentity } from '../identity.js';
import { maskAhvn13 } from './ahvn13.js';
import type { AhvNumberCipher } from './cipher.js';
import type { UpiRegister } from './client.js';
import { decideAhvCheck, type AhvDecision, type RegisteredIdentity } from './decision.js';
import { UpiError } from './errors.js';
import type { PersonField, ProvenPerson } from './person.js';
import { responseLanguageFor } from './protocol.js';
import { completeAhvCheck, dropPendingAhvCheck, reserveAhvCheck } from './repository.js';

export interface AhvCheckDeps {
  db: Db;
  register: UpiRegister;
  cipher: AhvNumberCipher;
  /** How long a confirmed check counts (policies/qor.json `verification.validityDays`). */
  validityDays: number;
  /** At most `max` checks per account in `windowSeconds` (any outcome). */
  rateLimit: { max: number; windowSeconds: number };
  log: Logger;
  clock?: () => Date;
}

export interface AhvCheckInput {
  accountId: string;
  /** The Mobile ID serial of the login: the verification is bound to it. */
  serial: string;
  locale: string;
  /** AHVN13, 13 digits, validated. */
  compactNumber: string;
  /** The identity checked against the register. */
  person: Pick<ClaimedIdentity, 'givenNames' | 'familyName' | 'birthDate'>;
  /** The verification the identity came from, if any, and the fields the user entered. */
  proven: ProvenPerson | undefined;
  entered: readonly PersonField[];
}

export type AhvCheckResult = AhvDecision & { verificationId: string };

/**
 * The identity a confirmed check records as checked (`evidence.checked`, read by
 * src/verification/identity.ts `recordedIdentity`): the register's names and date of birth. When
 * the register knows the date of birth only in part, the full date that matched it is kept, with
 * the register's part next to it.
 */
function registeredEvidence(registered: RegisteredIdentity, claimed: PersonIdentity) {
  const full = /^\d{4}-\d{2}-\d{2}$/.test(registered.birthDate);
  const evidence = checkedIdentityEvidence({ givenNames: registered.givenNames, familyName: registered.familyName, birthDate: full ? registered.birthDate : claimed.birthDate });
  return full ? evidence : { checked: { ...evidence.checked, birthdate_registered: registered.birthDate } };
}

/** The identity asked about (proven and/or entered), kept with the source of the check. */
function sourceIdentity(person: PersonIdentity) {
  return { source_identity: checkedIdentityEvidence(person).checked };
}

export class AhvCheckService {
  constructor(private readonly deps: AhvCheckDeps) {}

  async check(input: AhvCheckInput): Promise<AhvCheckResult> {
    const { db, log } = this.deps;
    const now = (this.deps.clock ?? (() => new Date()))();
    const masked = maskAhvn13(input.compactNumber);
    const since = new Date(now.getTime() - this.deps.rateLimit.windowSeconds * 1000);
    const identitySource = input.entered.length === 0 ? 'verification' : input.proven ? 'verification_and_entered' : 'entered';
    const source = {
      evidence_type: 'electronic_record',
      ahv_number_masked: masked,
      identity_source: identitySource,
      ...(input.proven && identitySource !== 'entered' ? { source_verification: input.proven.verificationId, source_method: input.proven.method } : {}),
      entered_fields: [...input.entered],
      ...sourceIdentity(input.person),
    };
    const reservation = await reserveAhvCheck(db, { accountId: input.accountId, since, max: this.deps.rateLimit.max, boundSerial: input.serial, evidence: source });
    if (!reservation.ok) {
      throw new AppError({ code: 'ahv_rate_limited', status: 429, messageKey: 'verification.ahv.rate_limited', detail: `more than ${this.deps.rateLimit.max} checks` });
    }

    let decision: AhvDecision;
    let responseMessageId: string;
    try {
      const lookup = await this.deps.register.getInfoPerson(input.compactNumber, responseLanguageFor(input.locale));
      responseMessageId = lookup.responseMessageId;
      decision = decideAhvCheck(lookup, { ...input.person });
    } catch (err) {
      await dropPendingAhvCheck(db, reservation.verificationId);
      if (err instanceof UpiError) {
        log.warn({ account: input.accountId, code: err.code, providerCode: err.providerCode }, 'ahv register check failed');
        await audit(db, {
          actor: `account:${input.accountId}`,
          action: 'verification.ahv.failed',
          subject: `account:${input.accountId}`,
          detail: { number: masked, code: err.code, providerCode: err.providerCode },
        });
      }
      throw err;
    }

    const approved = decision.outcome === 'confirmed';
    const stored = await completeAhvCheck(db, this.deps.cipher, reservation.verificationId, {
      compactNumber: input.compactNumber,
      status: approved ? 'approved' : 'rejected',
      providerReference: responseMessageId,
      verifiedAt: now,
      expiresAt: expiresAt(now, { days: this.deps.validityDays }),
      evidence: {
        ...source,
        outcome: decision.outcome,
        // Only the holder's own data: for a number that is not confirmed nothing of the register's is kept.
        ...(approved && decision.registered ? registeredEvidence(decision.registered, input.person) : {}),
        ...(decision.mismatches ? { mismatches: decision.mismatches } : {}),
      },
    });
    await audit(db, {
      actor: `account:${input.accountId}`,
      action: approved ? 'verification.ahv.confirmed' : 'verification.ahv.refused',
      subject: `account:${input.accountId}`,
      detail: { verification: stored.id, number: masked, outcome: decision.outcome, identitySource },
    });
    log.info({ account: input.accountId, verification: stored.id, outcome: decision.outcome, identitySource }, 'ahv register check');
    return { ...decision, verificationId: stored.id };
  }
}
