/**
 * In-memory signature transactions and receipt prompts: what is waiting on a (virtual) phone,
 * how it ends (signed, cancelled, expired) and who is waiting for it (synchronous requests).
 *
 * Expiry is checked against the injected clock on every read, and a timer ends a pending
 * transaction after its timeout in real time, so both a fake clock and a real wait work.
 */
import { randomInt } from 'node:crypto';

import type { Method } from './accounts.js';
import { FINISHED_RETENTION_MS, type UserLang } from './constants.js';
import { MssFault } from './faults.js';
import type { GeofencingJson } from './geofencing.js';
import type { Msisdn } from './requests.js';

export type SignatureOutcome =
  | { kind: 'signed'; signature: string; geofencing: GeofencingJson | undefined }
  | { kind: 'fault'; fault: MssFault };

export interface SignatureTransaction {
  msspTransId: string;
  apId: string;
  msisdn: Msisdn;
  dtbd: string;
  userLang: UserLang;
  method: Method;
  signatureProfile: string;
  geofencingRequested: boolean;
  mode: 'synch' | 'asynch';
  createdAt: Date;
  expiresAt: Date;
  outcome: SignatureOutcome | undefined;
  finishedAt: Date | undefined;
  receiptSent: boolean;
}

export type NewTransaction = Pick<
  SignatureTransaction,
  'apId' | 'msisdn' | 'dtbd' | 'userLang' | 'method' | 'signatureProfile' | 'geofencingRequested' | 'mode'
> & { timeoutMs: number };

export type ReceiptAnswer = 'OK' | 'CANCEL';

/** A receipt that asked for the user's acknowledgement and waits on the phone. */
export interface ReceiptPrompt {
  msspTransId: string;
  msisdnDigits: string;
  message: string;
  language: string | undefined;
  createdAt: Date;
  expiresAt: Date;
}

/** A receipt shown on the phone without an answer being requested. */
export interface ReceiptMessage {
  msisdnDigits: string;
  message: string;
  at: Date;
}

interface Waiter {
  promise: Promise<void>;
  resolve: () => void;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MAX_MESSAGES = 50;

function waiter(): Waiter {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export class TransactionStore {
  private readonly transactions = new Map<string, SignatureTransaction>();
  /** Pending transactions per number (digits), so that a number's are found without a scan. */
  private readonly pendingByNumber = new Map<string, Map<string, SignatureTransaction>>();
  /** Finished transactions in the order they finished: the sweep stops at the first recent one. */
  private readonly finished = new Map<string, number>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly prompts = new Map<string, { prompt: ReceiptPrompt; answer: (a: ReceiptAnswer | undefined) => void }>();
  private readonly messages: ReceiptMessage[] = [];

  constructor(private readonly now: () => Date) {}

  /** MSSP_TransID like the recorded ones ("HEhm82c1"). */
  private newId(): string {
    for (;;) {
      let id = 'HE';
      for (let i = 0; i < 6; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
      if (!this.transactions.has(id)) return id;
    }
  }

  create(init: NewTransaction): SignatureTransaction {
    this.sweep();
    const { timeoutMs, ...fields } = init;
    const createdAt = this.now();
    const tx: SignatureTransaction = {
      ...fields,
      msspTransId: this.newId(),
      createdAt,
      expiresAt: new Date(createdAt.getTime() + timeoutMs),
      outcome: undefined,
      finishedAt: undefined,
      receiptSent: false,
    };
    this.transactions.set(tx.msspTransId, tx);
    const ofNumber = this.pendingByNumber.get(tx.msisdn.digits) ?? new Map<string, SignatureTransaction>();
    ofNumber.set(tx.msspTransId, tx);
    this.pendingByNumber.set(tx.msisdn.digits, ofNumber);
    this.waiters.set(tx.msspTransId, waiter());
    const timer = setTimeout(() => this.expire(tx), timeoutMs);
    timer.unref();
    this.timers.set(tx.msspTransId, timer);
    return tx;
  }

  /** The transaction, with its expiry applied. */
  get(msspTransId: string): SignatureTransaction | undefined {
    const tx = this.transactions.get(msspTransId);
    if (tx && !tx.outcome && this.now().getTime() >= tx.expiresAt.getTime()) this.expire(tx);
    return tx;
  }

  /** Pending signature requests, oldest first; optionally of one number. */
  pending(msisdnDigits?: string): SignatureTransaction[] {
    const candidates =
      msisdnDigits === undefined ? [...this.pendingByNumber.values()].flatMap((m) => [...m.keys()]) : [...(this.pendingByNumber.get(msisdnDigits)?.keys() ?? [])];
    return candidates
      .map((id) => this.get(id))
      .filter((tx): tx is SignatureTransaction => !!tx && !tx.outcome)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  finish(tx: SignatureTransaction, outcome: SignatureOutcome): void {
    if (tx.outcome) return;
    tx.outcome = outcome;
    tx.finishedAt = this.now();
    const ofNumber = this.pendingByNumber.get(tx.msisdn.digits);
    ofNumber?.delete(tx.msspTransId);
    if (ofNumber?.size === 0) this.pendingByNumber.delete(tx.msisdn.digits);
    this.finished.set(tx.msspTransId, tx.finishedAt.getTime());
    clearTimeout(this.timers.get(tx.msspTransId));
    this.timers.delete(tx.msspTransId);
    this.waiters.get(tx.msspTransId)?.resolve();
  }

  /** Resolves when the transaction has an outcome. */
  async settled(tx: SignatureTransaction): Promise<void> {
    if (tx.outcome) return;
    await this.waiters.get(tx.msspTransId)?.promise;
  }

  private expire(tx: SignatureTransaction): void {
    this.finish(tx, { kind: 'fault', fault: new MssFault('208') });
  }

  /** Show a receipt that asks for an answer; resolves with it, or undefined after the timeout. */
  prompt(prompt: Omit<ReceiptPrompt, 'createdAt' | 'expiresAt'>, timeoutMs: number): Promise<ReceiptAnswer | undefined> {
    const createdAt = this.now();
    const full: ReceiptPrompt = { ...prompt, createdAt, expiresAt: new Date(createdAt.getTime() + timeoutMs) };
    return new Promise((resolve) => {
      const timer = setTimeout(() => answer(undefined), timeoutMs);
      timer.unref();
      const answer = (a: ReceiptAnswer | undefined) => {
        clearTimeout(timer);
        this.prompts.delete(full.msspTransId);
        resolve(a);
      };
      this.prompts.set(full.msspTransId, { prompt: full, answer });
    });
  }

  pendingPrompts(msisdnDigits?: string): ReceiptPrompt[] {
    const now = this.now().getTime();
    for (const { prompt, answer } of [...this.prompts.values()]) {
      if (now >= prompt.expiresAt.getTime()) answer(undefined);
    }
    return [...this.prompts.values()]
      .map((p) => p.prompt)
      .filter((p) => msisdnDigits === undefined || p.msisdnDigits === msisdnDigits);
  }

  answerPrompt(msspTransId: string, answer: ReceiptAnswer): boolean {
    const entry = this.prompts.get(msspTransId);
    if (!entry) return false;
    entry.answer(answer);
    return true;
  }

  addMessage(message: Omit<ReceiptMessage, 'at'>): void {
    this.messages.unshift({ ...message, at: this.now() });
    this.messages.length = Math.min(this.messages.length, MAX_MESSAGES);
  }

  recentMessages(msisdnDigits?: string): ReceiptMessage[] {
    return this.messages.filter((m) => msisdnDigits === undefined || m.msisdnDigits === msisdnDigits);
  }

  /** Forget transactions that ended more than the retention time ago. */
  sweep(): void {
    const cutoff = this.now().getTime() - FINISHED_RETENTION_MS;
    for (const [id, finishedAt] of this.finished) {
      if (finishedAt >= cutoff) break;
      this.finished.delete(id);
      this.transactions.delete(id);
      this.waiters.delete(id);
    }
  }

  /** Stop all timers; pending requests end as expired. */
  close(): void {
    for (const tx of this.transactions.values()) if (!tx.outcome) this.expire(tx);
    for (const { answer } of [...this.prompts.values()]) answer(undefined);
  }
}
