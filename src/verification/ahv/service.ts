/**
 * One AHV register check: rate limit → ask the register → decide → record the verification (and,
 * when confirmed, the encrypted number) → audit. Register failures (UpiError) are audited and
 * passed on; nothing is recorded as a verification then, so the user simply tries again.
 */
import { audit } from '../../audit/index.js';
import type { Db } from '../../db/index.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { expiresAt } from '../../qor/index.js';
import { checkedIdentityEvidence, type ClaimedIdentity } from '../identity.js';
import { maskAhvn13 } from './ahvn13.js';
import type { AhvNumberCipher } from './cipher.js';
import type { UpiRegister } from './client.js';
import { decideAhvCheck, type AhvDecision } from './decision.js';
import { UpiError } from './errors.js';
import type { PersonField, ProvenPerson } from './person.js';
import { responseLanguageFor } from './protocol.js';
import { checksSince, recordAhvCheck } from './repository.js';

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

export class AhvCheckService {
  constructor(private readonly deps: AhvCheckDeps) {}

  async check(input: AhvCheckInput): Promise<AhvCheckResult> {
    const { db, log } = this.deps;
    const now = (this.deps.clock ?? (() => new Date()))();
    const masked = maskAhvn13(input.compactNumber);
    const since = new Date(now.getTime() - this.deps.rateLimit.windowSeconds * 1000);
    if ((await checksSince(db, input.accountId, since)) >= this.deps.rateLimit.max) {
      throw new AppError({ code: 'ahv_rate_limited', status: 429, messageKey: 'verification.ahv.rate_limited', detail: `more than ${this.deps.rateLimit.max} checks` });
    }
    const identitySource = input.entered.length === 0 ? 'verification' : input.proven ? 'verification_and_entered' : 'entered';

    let decision: AhvDecision;
    let responseMessageId: string;
    try {
      const lookup = await this.deps.register.getInfoPerson(input.compactNumber, responseLanguageFor(input.locale));
      responseMessageId = lookup.responseMessageId;
      decision = decideAhvCheck(lookup, { ...input.person });
    } catch (err) {
      if (err instanceof UpiError) {
        log.warn({ account: input.accountId, code: err.code, providerCode: err.providerCode, detail: err.detail }, 'ahv register check failed');
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
    const stored = await recordAhvCheck(db, this.deps.cipher, {
      accountId: input.accountId,
      compactNumber: input.compactNumber,
      status: approved ? 'approved' : 'rejected',
      providerReference: responseMessageId,
      boundSerial: input.serial,
      verifiedAt: now,
      expiresAt: expiresAt(now, { days: this.deps.validityDays }),
      evidence: {
        evidence_type: 'electronic_record',
        outcome: decision.outcome,
        ahv_number_masked: masked,
        identity_source: identitySource,
        ...(input.proven && identitySource !== 'entered' ? { source_verification: input.proven.verificationId, source_method: input.proven.method } : {}),
        entered_fields: [...input.entered],
        ...checkedIdentityEvidence(input.person),
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
