/**
 * The virtual phone: what a person (or an automated test) does on the other side of a request —
 * approve with a location to report (or location off), cancel, answer a receipt, switch the SIM /
 * App methods, re-activate a number (new key, new serial). Used by the HTML page and the JSON API.
 */
import type { Account, AccountSettings } from './accounts.js';
import { toPem } from './der.js';
import { MssFault } from './faults.js';
import {
  DEFAULT_GEOFENCING,
  isGeofencingErrorCode,
  type GeofencingErrorCode,
  type GeofencingReport,
} from './geofencing.js';
import type { KeyAlgorithm } from './pki.js';
import { parseMsisdn } from './requests.js';
import { completeSignature, type SimulatorState } from './state.js';
import type { ReceiptPrompt, SignatureTransaction } from './transactions.js';

/** A phone action that cannot be done (HTTP status + message for the page or API). */
export class PhoneError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'PhoneError';
  }
}

export type PendingItem =
  | {
      kind: 'signature';
      transId: string;
      msisdn: string;
      method: 'SIM' | 'App';
      signatureProfile: string;
      userLang: string;
      dtbd: string;
      geofencing: boolean;
      mode: 'synch' | 'asynch';
      createdAt: string;
      expiresAt: string;
    }
  | {
      kind: 'receipt';
      transId: string;
      msisdn: string;
      message: string;
      language: string | undefined;
      createdAt: string;
      expiresAt: string;
    };

export interface AccountView {
  msisdn: string;
  serial: string;
  algorithm: KeyAlgorithm;
  sim: boolean;
  app: boolean;
  activatedAt: string;
  certificatePem: string;
}

/** Which request to act on: an MSSP_TransID, or the oldest one of a number. */
export interface Target {
  transId?: string | undefined;
  msisdn?: string | undefined;
}

/** What the phone reports when approving; every field optional. */
export interface ApproveOptions {
  country?: string | undefined;
  accuracy?: number | string | undefined;
  locationConfidence?: number | string | undefined;
  deviceConfidence?: number | string | undefined;
  /** Location unavailable: reported as a geofencing error (default code 105, location services off). */
  locationOff?: boolean | undefined;
  geofencingErrorCode?: string | undefined;
}

function signatureItem(tx: SignatureTransaction): PendingItem {
  return {
    kind: 'signature',
    transId: tx.msspTransId,
    msisdn: tx.msisdn.digits,
    method: tx.method === 'sim' ? 'SIM' : 'App',
    signatureProfile: tx.signatureProfile,
    userLang: tx.userLang,
    dtbd: tx.dtbd,
    geofencing: tx.geofencingRequested,
    mode: tx.mode,
    createdAt: tx.createdAt.toISOString(),
    expiresAt: tx.expiresAt.toISOString(),
  };
}

function receiptItem(p: ReceiptPrompt): PendingItem {
  return {
    kind: 'receipt',
    transId: p.msspTransId,
    msisdn: p.msisdnDigits,
    message: p.message,
    language: p.language,
    createdAt: p.createdAt.toISOString(),
    expiresAt: p.expiresAt.toISOString(),
  };
}

export function accountView(a: Account): AccountView {
  return {
    msisdn: a.msisdn,
    serial: a.serial,
    algorithm: a.algorithm,
    sim: a.sim,
    app: a.app,
    activatedAt: a.activatedAt.toISOString(),
    certificatePem: toPem('CERTIFICATE', a.certDer),
  };
}

/** Digits of a number typed on the page or sent to the API. */
export function phoneNumber(raw: string | undefined): string {
  if (!raw) throw new PhoneError(400, 'msisdn is required');
  try {
    return parseMsisdn(raw.replace(/[\s-]/g, '')).digits;
  } catch {
    throw new PhoneError(400, 'msisdn must be an international number, e.g. +41791234567');
  }
}

function numberIn(raw: number | string | undefined, name: string, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new PhoneError(400, `${name} must be between ${min} and ${max}`);
  return n;
}

export function geofencingReport(options: ApproveOptions): GeofencingReport {
  if (options.locationOff || options.geofencingErrorCode) {
    const code = options.geofencingErrorCode || '105';
    if (!isGeofencingErrorCode(code)) throw new PhoneError(400, `Unknown geofencing error code ${code}`);
    return { kind: 'error', code: code as GeofencingErrorCode };
  }
  const country = (options.country || DEFAULT_GEOFENCING.country).toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) throw new PhoneError(400, 'country must be an ISO 3166-1 alpha-2 code');
  const accuracy = numberIn(options.accuracy, 'accuracy', 0, 1_000_000);
  if (accuracy !== undefined && !Number.isInteger(accuracy)) throw new PhoneError(400, 'accuracy must be whole metres');
  return {
    kind: 'location',
    country,
    accuracy: accuracy ?? DEFAULT_GEOFENCING.accuracy,
    locationConfidence: numberIn(options.locationConfidence, 'locationConfidence', 0, 1) ?? DEFAULT_GEOFENCING.locationConfidence,
    deviceConfidence: numberIn(options.deviceConfidence, 'deviceConfidence', 0, 1) ?? DEFAULT_GEOFENCING.deviceConfidence,
  };
}

export class VirtualPhone {
  constructor(private readonly state: SimulatorState) {}

  /** Requests waiting for the person, oldest first; optionally of one number. */
  pending(msisdn?: string): PendingItem[] {
    const digits = msisdn ? phoneNumber(msisdn) : undefined;
    const { transactions } = this.state;
    return [...transactions.pending(digits).map(signatureItem), ...transactions.pendingPrompts(digits).map(receiptItem)];
  }

  /** Confirm a signature request (signs the DTBD) or accept a receipt. */
  async approve(target: Target, options: ApproveOptions = {}): Promise<PendingItem> {
    const item = this.find(target);
    if (item.kind === 'receipt') {
      this.state.transactions.answerPrompt(item.transId, 'OK');
      return item;
    }
    const report = geofencingReport(options);
    const tx = this.state.transactions.get(item.transId);
    if (!tx || tx.outcome) throw new PhoneError(409, 'The request is no longer pending');
    await completeSignature(this.state, tx, report);
    if (this.state.transactions.get(tx.msspTransId)?.outcome?.kind !== 'signed') throw new PhoneError(409, 'The request expired before it was signed');
    return item;
  }

  /** Cancel a signature request (401 USER_CANCEL) or a receipt. */
  cancel(target: Target): PendingItem {
    const item = this.find(target);
    if (item.kind === 'receipt') {
      this.state.transactions.answerPrompt(item.transId, 'CANCEL');
      return item;
    }
    const tx = this.state.transactions.get(item.transId);
    if (!tx || tx.outcome) throw new PhoneError(409, 'The request is no longer pending');
    this.state.transactions.finish(tx, { kind: 'fault', fault: new MssFault('401') });
    return item;
  }

  async account(msisdn: string): Promise<AccountView> {
    return accountView(await this.state.accounts.getOrCreate(phoneNumber(msisdn)));
  }

  accounts(): AccountView[] {
    return this.state.accounts.list().map(accountView);
  }

  /** New key, new certificate and a new Mobile ID serial for the number. */
  async reactivate(msisdn: string, settings: AccountSettings = {}): Promise<AccountView> {
    if (settings.algorithm !== undefined && settings.algorithm !== 'EC' && settings.algorithm !== 'RSA') {
      throw new PhoneError(400, 'algorithm must be EC or RSA');
    }
    return accountView(await this.state.accounts.reactivate(phoneNumber(msisdn), settings));
  }

  /** Switch the SIM and App methods of a number on or off. */
  async setMethods(msisdn: string, methods: { sim: boolean; app: boolean }): Promise<AccountView> {
    return accountView(await this.state.accounts.setMethods(phoneNumber(msisdn), methods));
  }

  /** Receipts shown without a question, newest first. */
  messages(msisdn?: string) {
    const digits = msisdn ? phoneNumber(msisdn) : undefined;
    return this.state.transactions
      .recentMessages(digits)
      .map((m) => ({ msisdn: m.msisdnDigits, message: m.message, at: m.at.toISOString() }));
  }

  private find(target: Target): PendingItem {
    if (target.transId) {
      const item = this.pending().find((p) => p.transId === target.transId);
      if (!item) throw new PhoneError(404, 'No pending request with this transId');
      return item;
    }
    if (target.msisdn) {
      const [item] = this.pending(target.msisdn);
      if (!item) throw new PhoneError(404, 'No pending request for this number');
      return item;
    }
    throw new PhoneError(400, 'transId or msisdn is required');
  }
}
