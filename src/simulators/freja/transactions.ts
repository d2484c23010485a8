/**
 * The simulator's authentications: created by initAuthentication, fetched by the "app" (the
 * approve/reject page), ended by the person, by the relying party (cancel) or by time (two
 * minutes). An approved one carries its signed result (JWS RS256, `x5t` header), as Freja does.
 */
import { randomBytes } from 'node:crypto';

import { CompactSign } from 'jose';

import type { FrejaSandboxPki } from './pki.js';

export const STATUSES = ['STARTED', 'DELIVERED_TO_MOBILE', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELED', 'RP_CANCELED'] as const;
export type Status = (typeof STATUSES)[number];
export const LEVELS = ['BASIC', 'EXTENDED', 'PLUS'] as const;
export type Level = (typeof LEVELS)[number];
const LEVEL_ORDER: Record<string, number> = { BASIC: 1, INFERRED: 1, EXTENDED: 2, PLUS: 3 };

/** Freja keeps an authentication open this long. */
export const DEFAULT_VALIDITY_MS = 120_000;
/** Finished ones can be read back for this long. */
const KEEP_FINISHED_MS = 15 * 60_000;

export interface Transaction {
  authRef: string;
  userInfoType: string;
  userInfo: string;
  minRegistrationLevel: string;
  attributes: string[];
  status: Status;
  createdAt: Date;
  expiresAt: Date;
  finishedAt?: Date;
  details?: string;
  requestedAttributes?: Record<string, unknown>;
}

/** Who approves, as the app would know them. */
export interface Person {
  givenNames: string;
  surname: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  registrationLevel: Level;
  ssn?: { country: string; ssn: string } | undefined;
  email?: string | undefined;
}

export class SimulatorError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SimulatorError';
  }
}

export function isFinal(status: Status): boolean {
  return status !== 'STARTED' && status !== 'DELIVERED_TO_MOBILE';
}

function ageOn(dateOfBirth: string, now: Date): number {
  const [y, m, d] = dateOfBirth.split('-').map(Number) as [number, number, number];
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < m || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d)) age -= 1;
  return age;
}

export class TransactionStore {
  private readonly items = new Map<string, Transaction>();

  constructor(
    private readonly pki: FrejaSandboxPki,
    private readonly now: () => Date,
    private readonly validityMs: number = DEFAULT_VALIDITY_MS,
  ) {}

  create(t: Pick<Transaction, 'userInfoType' | 'userInfo' | 'minRegistrationLevel' | 'attributes'>): Transaction {
    this.prune();
    const now = this.now();
    const tx: Transaction = {
      ...t,
      authRef: randomBytes(48).toString('base64url'),
      status: 'STARTED',
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.validityMs),
    };
    this.items.set(tx.authRef, tx);
    return tx;
  }

  /** The transaction, with its status brought up to date (EXPIRED after the validity). */
  get(authRef: string): Transaction | undefined {
    const tx = this.items.get(authRef);
    if (tx && !isFinal(tx.status) && tx.expiresAt <= this.now()) this.end(tx, 'EXPIRED');
    return tx;
  }

  pending(): Transaction[] {
    return [...this.items.keys()].map((k) => this.get(k)!).filter((t) => !isFinal(t.status));
  }

  /** The app fetched the request (the QR code was scanned, or the link opened). */
  deliver(authRef: string): Transaction {
    const tx = this.open(authRef);
    if (tx.status === 'STARTED') tx.status = 'DELIVERED_TO_MOBILE';
    return tx;
  }

  async approve(authRef: string, person: Person): Promise<Transaction> {
    const tx = this.open(authRef);
    if ((LEVEL_ORDER[person.registrationLevel] ?? 0) < (LEVEL_ORDER[tx.minRegistrationLevel] ?? 0)) {
      throw new SimulatorError(409, `This Freja eID is ${person.registrationLevel}; the service asks for at least ${tx.minRegistrationLevel}. The app does not let it confirm.`);
    }
    const now = this.now();
    const requestedAttributes = this.attributesFor(tx, person, now);
    // Key order as in Freja's own results.
    const payload = {
      status: 'APPROVED',
      userInfoType: tx.userInfoType,
      userInfo: tx.userInfo,
      timestamp: now.getTime(),
      minRegistrationLevel: tx.minRegistrationLevel,
      requestedAttributes,
      authRef: tx.authRef,
    };
    tx.details = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ x5t: this.pki.x5t, alg: 'RS256' })
      .sign(this.pki.signingKey);
    tx.requestedAttributes = requestedAttributes;
    this.end(tx, 'APPROVED');
    return tx;
  }

  /** The person declined in the app. */
  decline(authRef: string): Transaction {
    return this.end(this.open(authRef), 'CANCELED');
  }

  /** Freja refused it (e.g. a concurrent authentication of the same person). */
  reject(authRef: string): Transaction {
    return this.end(this.open(authRef), 'REJECTED');
  }

  /** The relying party cancelled it. */
  cancelByRp(authRef: string): Transaction | undefined {
    const tx = this.get(authRef);
    if (!tx || isFinal(tx.status)) return undefined;
    return this.end(tx, 'RP_CANCELED');
  }

  /** Let time pass for one request (sandbox control). */
  expire(authRef: string): Transaction {
    return this.end(this.open(authRef), 'EXPIRED');
  }

  private open(authRef: string): Transaction {
    const tx = this.get(authRef);
    if (!tx) throw new SimulatorError(404, 'No such request.');
    if (isFinal(tx.status)) throw new SimulatorError(409, `The request is already ${tx.status}.`);
    return tx;
  }

  private end(tx: Transaction, status: Status): Transaction {
    tx.status = status;
    tx.finishedAt = this.now();
    return tx;
  }

  private attributesFor(tx: Transaction, person: Person, now: Date): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const attribute of tx.attributes) {
      if (attribute === 'BASIC_USER_INFO') out.basicUserInfo = { name: person.givenNames, surname: person.surname };
      else if (attribute === 'DATE_OF_BIRTH') out.dateOfBirth = person.dateOfBirth;
      else if (attribute === 'SSN' && person.ssn) out.ssn = { ssn: person.ssn.ssn, country: person.ssn.country };
      else if (attribute === 'REGISTRATION_LEVEL') out.registrationLevel = person.registrationLevel;
      else if (attribute === 'EMAIL_ADDRESS' && person.email) out.emailAddress = person.email;
      else if (attribute === 'AGE') out.age = ageOn(person.dateOfBirth, now);
    }
    return out;
  }

  private prune(): void {
    const limit = this.now().getTime() - KEEP_FINISHED_MS;
    for (const [k, t] of this.items) if (t.finishedAt && t.finishedAt.getTime() < limit) this.items.delete(k);
  }
}
