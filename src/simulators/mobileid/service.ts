/**
 * The four REST operations (sign, status, receipt, profile) as the real service behaves:
 * validation faults, the documented test numbers, signature profiles, concurrency control
 * (reference guide 4.1.3), synchronous and asynchronous modes.
 */
import { randomUUID, randomBytes } from 'node:crypto';

import type { Account } from './accounts.js';
import { AS, FAULT_TEST_PREFIX, INSTANT_SUCCESS_MSISDNS, INSTANT_TOLERANCE_MS } from './constants.js';
import { faultEnvelope, isFaultCode, MssFault, type FaultCode } from './faults.js';
import { DEFAULT_GEOFENCING, type GeofencingJson } from './geofencing.js';
import { userCertificateName } from './pki.js';
import { resolveSignatureProfile, supportedProfiles, type ProfileCapabilities } from './profiles.js';
import {
  parseProfileRequest,
  parseReceiptRequest,
  parseSignatureRequest,
  parseStatusRequest,
  type ApInfo,
  type ProfileRequest,
  type SignatureRequest,
  type ValidationContext,
} from './requests.js';
import {
  profileResponse,
  receiptResponse,
  signatureResponse,
  statusResponse,
  type ProfileQueryExtension,
  type ProfileSscd,
  type ServiceResponse,
} from './responses.js';
import { completeSignature, type SimulatorState } from './state.js';
import type { SignatureTransaction } from './transactions.js';
import { profileSubjectName } from './x509.js';

/** An HTTP answer: 200 with a response envelope, 500 with a Fault envelope. */
export interface MssReply {
  status: 200 | 500;
  body: unknown;
}

/** Test-number faults that, in asynchronous mode, come with the status query (user/transport events). */
const FAULTS_AFTER_ACCEPTANCE: ReadonlySet<FaultCode> = new Set<FaultCode>(['208', '209', '401']);

export function faultOfTestNumber(digits: string): FaultCode | undefined {
  if (digits.length !== 11 || !digits.startsWith(FAULT_TEST_PREFIX)) return undefined;
  const code = digits.slice(FAULT_TEST_PREFIX.length);
  return isFaultCode(code) ? code : undefined;
}

export class MobileIdService {
  /** AP_ID|AP_TransID|Instant triplets already used (reference guide 4.1.1), with when they were seen. */
  private readonly triplets = new Map<string, number>();

  constructor(
    private readonly state: SimulatorState,
    private readonly validation: ValidationContext,
  ) {}

  sign(body: unknown): Promise<MssReply> {
    return this.reply(async () => {
      const req = parseSignatureRequest(body, this.validation);
      this.rememberTriplet(req.ap);
      const testFault = faultOfTestNumber(req.msisdn.digits);
      if (testFault && (req.mode === 'synch' || !FAULTS_AFTER_ACCEPTANCE.has(testFault))) {
        throw new MssFault(testFault);
      }
      const capabilities: ProfileCapabilities = testFault
        ? { sim: true, app: false, algorithm: 'EC' }
        : await this.state.accounts.getOrCreate(req.msisdn.digits);
      const resolved = resolveSignatureProfile(req.signatureProfile, capabilities);
      if (!testFault) this.enforceConcurrency(req.msisdn.digits, resolved.method);

      const methodTimeout = this.state.pendingTimeoutMs[resolved.method];
      const tx = this.state.transactions.create({
        apId: req.ap.apId,
        msisdn: req.msisdn,
        dtbd: req.dtbd,
        userLang: req.userLang,
        method: resolved.method,
        signatureProfile: this.state.reportedProfiles[resolved.method],
        geofencingRequested: req.geofencing,
        mode: req.mode,
        timeoutMs: Math.min(methodTimeout, (req.timeoutSeconds ?? Infinity) * 1000),
      });
      if (testFault) {
        this.state.transactions.finish(tx, { kind: 'fault', fault: new MssFault(testFault) });
      } else if (INSTANT_SUCCESS_MSISDNS[req.msisdn.digits]) {
        await completeSignature(this.state, tx, DEFAULT_GEOFENCING);
      }

      if (req.mode === 'asynch') {
        return signatureResponse({
          ap: req.ap,
          now: this.state.now(),
          msspTransId: tx.msspTransId,
          msisdn: req.msisdn.raw,
          signatureProfile: tx.signatureProfile,
          serviceResponses: this.app2appResponse(req, tx),
        });
      }
      await this.state.transactions.settled(tx);
      const outcome = tx.outcome;
      if (outcome?.kind !== 'signed') throw outcome?.fault ?? new MssFault('900');
      return signatureResponse({
        ap: req.ap,
        now: this.state.now(),
        msspTransId: tx.msspTransId,
        msisdn: req.msisdn.raw,
        signatureProfile: tx.signatureProfile,
        signature: outcome.signature,
        serviceResponses: geofencingResponse(outcome.geofencing),
      });
    });
  }

  status(body: unknown): Promise<MssReply> {
    return this.reply(async () => {
      const req = parseStatusRequest(body, this.validation);
      const tx = this.transactionOf(req.ap, req.msspTransId);
      const outcome = tx.outcome;
      if (outcome?.kind === 'fault') throw outcome.fault;
      return statusResponse({
        ap: req.ap,
        now: this.state.now(),
        msisdn: tx.msisdn.raw,
        ...(outcome && { signature: outcome.signature, serviceResponses: geofencingResponse(outcome.geofencing) }),
      });
    });
  }

  receipt(body: unknown): Promise<MssReply> {
    return this.reply(async () => {
      const req = parseReceiptRequest(body, this.validation);
      const testFault = faultOfTestNumber(req.msisdn.digits);
      if (testFault) throw new MssFault(testFault);
      const tx = this.transactionOf(req.ap, req.msspTransId);
      if (tx.msisdn.digits !== req.msisdn.digits) throw new MssFault('101', 'MSISDN does not match the transaction');
      if (tx.outcome?.kind !== 'signed') throw new MssFault('101', 'No successful signature for this MSSP_TransID');
      if (tx.receiptSent) throw new MssFault('101', 'Receipt already sent for this transaction');
      tx.receiptSent = true;

      // The ReceiptRequestExtension is supported by the SIM method only (reference guide 3.4.1).
      if (req.userAck && tx.method === 'sim') {
        const answer = INSTANT_SUCCESS_MSISDNS[req.msisdn.digits]
          ? 'OK'
          : await this.state.transactions.prompt(
              { msspTransId: tx.msspTransId, msisdnDigits: req.msisdn.digits, message: req.message, language: req.language },
              this.state.pendingTimeoutMs.sim,
            );
        return receiptResponse({
          ap: req.ap,
          now: this.state.now(),
          extension: { userAck: answer !== undefined, userResponse: answer },
        });
      }
      this.state.transactions.addMessage({ msisdnDigits: req.msisdn.digits, message: req.message });
      return receiptResponse({ ap: req.ap, now: this.state.now() });
    });
  }

  profile(body: unknown): Promise<MssReply> {
    return this.reply(async () => {
      const req = parseProfileRequest(body, this.validation);
      const testFault = faultOfTestNumber(req.msisdn.digits);
      if (testFault) throw new MssFault(testFault);
      const account = await this.state.accounts.getOrCreate(req.msisdn.digits);
      if (!account.sim && !account.app) throw new MssFault('105');
      return profileResponse({
        ap: req.ap,
        now: this.state.now(),
        signatureProfiles: supportedProfiles(account),
        extension: this.profileExtension(req, account),
      });
    });
  }

  /** A malformed body (not JSON) is a request with wrong parameters. */
  static malformed(): MssReply {
    return { status: 500, body: faultEnvelope(new MssFault('101', 'Malformed request')) };
  }

  private async reply(run: () => Promise<unknown>): Promise<MssReply> {
    try {
      return { status: 200, body: await run() };
    } catch (err) {
      const fault = err instanceof MssFault ? err : new MssFault('900');
      return { status: 500, body: faultEnvelope(fault) };
    }
  }

  private rememberTriplet(ap: ApInfo): void {
    const now = this.state.now().getTime();
    // Oldest first (insertion order): stop at the first triplet still within the tolerance.
    for (const [key, seen] of this.triplets) {
      if (now - seen <= 2 * INSTANT_TOLERANCE_MS) break;
      this.triplets.delete(key);
    }
    const key = `${ap.apId}|${ap.apTransId}|${ap.instant}`;
    if (this.triplets.has(key)) throw new MssFault('101', 'Duplicate AP_TransID');
    this.triplets.set(key, now);
  }

  /** SIM: a second request is refused (406); App: the first one is cancelled (401). */
  private enforceConcurrency(digits: string, method: SignatureTransaction['method']): void {
    for (const pending of this.state.transactions.pending(digits)) {
      if (pending.method !== method) continue;
      if (method === 'sim') throw new MssFault('406');
      this.state.transactions.finish(pending, { kind: 'fault', fault: new MssFault('401') });
    }
  }

  private transactionOf(ap: ApInfo, msspTransId: string): SignatureTransaction {
    const tx = this.state.transactions.get(msspTransId);
    if (!tx || tx.apId !== ap.apId) throw new MssFault('101', 'Unknown MSSP_TransID');
    return tx;
  }

  private app2appResponse(req: SignatureRequest, tx: SignatureTransaction): ServiceResponse[] | undefined {
    if (!req.app2appRedirectUri || tx.method !== 'app') return undefined;
    const query = new URLSearchParams({
      mobile_auth_redirect_uri: req.app2appRedirectUri,
      session_token: randomBytes(24).toString('base64url'),
      user_id: randomUUID(),
    });
    return [{ App2App: { AuthUri: `mobileid://auth?${query.toString()}` }, Description: AS.APP2APP }];
  }

  private profileExtension(req: ProfileRequest, account: Account): ProfileQueryExtension | undefined {
    const p = req.params;
    const extension: ProfileQueryExtension = {};
    if (p.has('rcstatus') || p.has('aastatus')) {
      extension.MobileUser = {
        ...(p.has('aastatus') && { AutoActivation: false }),
        ...(p.has('rcstatus') && { RecoveryCodeCreated: false }),
      };
    }
    if (p.has('sscds')) {
      const sscd = (): ProfileSscd => ({
        ...(p.has('certs') && { MobileUserCertificate: [this.certificateEntry(account)] }),
        ...(p.has('pinstatus') && { PinStatus: { Blocked: false } }),
        ...(p.has('state') && { State: 'ACTIVE' as const }),
      });
      extension.Sscds = {
        ...(account.app && { App: [sscd()] }),
        ...(account.sim && {
          Sim: { ...(p.has('carddetails') && { CardDetails: { Mcc: '228', Mnc: '01', Network: 'Swisscom' } }), ...sscd() },
        }),
      };
    }
    return Object.keys(extension).length > 0 ? extension : undefined;
  }

  private certificateEntry(account: Account) {
    const { pki } = this.state;
    return {
      Algorithm: account.algorithm,
      State: 'ACTIVE' as const,
      X509Certificate: [account.certDer, pki.issuing.certDer, pki.root.certDer].map((d) => Buffer.from(d).toString('base64')),
      X509SubjectName: [
        profileSubjectName(userCertificateName(account.serial)),
        profileSubjectName(pki.issuing.name),
        profileSubjectName(pki.root.name),
      ],
    };
  }
}

function geofencingResponse(geofencing: GeofencingJson | undefined): ServiceResponse[] | undefined {
  return geofencing ? [{ Description: AS.GEOFENCING, Geofencing: geofencing }] : undefined;
}
