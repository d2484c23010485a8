/**
 * What the SRS simulator remembers (in memory): access tokens, identifications with their status
 * history, and the evidence registered per mobile number (what the verify call looks up).
 */
import { randomBytes, randomUUID } from 'node:crypto';

export const STATUS = {
  created: 'created',
  initialized: 'initialized',
  terminated: 'terminated',
  error: 'error',
  waitingForDoc: 'Waiting for Doc',
  identificationDone: 'Identification done',
  dataReady: 'Data Ready',
  cancelledByUser: 'Identification cancelled by user',
  cancelledByIsp: 'Identification cancelled by ISP',
  unsuccessful: 'Identification unsuccessful',
} as const;

export type WireStatus = (typeof STATUS)[keyof typeof STATUS];

/** The statuses the tester can pick on the "Define Identity" form, in the form's order. */
export const FORM_STATUSES: readonly WireStatus[] = [
  STATUS.waitingForDoc,
  STATUS.identificationDone,
  STATUS.dataReady,
  STATUS.cancelledByUser,
  STATUS.cancelledByIsp,
  STATUS.unsuccessful,
  STATUS.error,
];

export interface IdentityData {
  firstName: string;
  lastName: string;
  dob: string;
  nationality: string;
  email: string;
  mobile: string;
  placeOfBirth: string;
  idCardNumber: string;
  validUntil: string;
}

export interface SimIdentification {
  refId: string;
  orderId: string;
  issuer: string;
  method: string;
  loa: number;
  jurisdiction: string;
  mobile: string;
  initial: Record<string, string>;
  callbackUrl: string | undefined;
  /** The secret part of the targetURL (the partner's page for this person). */
  pageToken: string;
  statuses: { status: WireStatus; date: string; reason: string | null; kind: string | null }[];
  identity: IdentityData | undefined;
  evidenceId: string | null;
  lastCallback: { at: string; result: string } | undefined;
}

export interface Evidence {
  evidenceId: string;
  serialNumber: string;
  msisdn: string;
  loa: number;
  jurisdictions: string[];
  identity: IdentityData;
  termsAccepted: boolean;
}

export class SimState {
  readonly tokens = new Map<string, number>();
  readonly identifications = new Map<string, SimIdentification>();
  readonly byPageToken = new Map<string, SimIdentification>();
  /** By mobile number, digits only. */
  readonly evidences = new Map<string, Evidence>();
  /** Counters for tests and the README's "what happened" view. */
  readonly stats = { tokens: 0, catalogue: 0, starts: 0, statusQueries: 0, verifies: 0, callbacks: 0 };

  constructor(readonly now: () => Date) {}

  issueToken(ttlSeconds: number): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, this.now().getTime() + ttlSeconds * 1000);
    this.stats.tokens += 1;
    return token;
  }

  tokenValid(token: string): boolean {
    const expires = this.tokens.get(token);
    return expires !== undefined && expires > this.now().getTime();
  }

  create(i: Omit<SimIdentification, 'refId' | 'orderId' | 'pageToken' | 'statuses' | 'identity' | 'evidenceId' | 'lastCallback'>): SimIdentification {
    const refId = randomUUID();
    const at = this.now().toISOString();
    const record: SimIdentification = {
      ...i,
      refId,
      orderId: at,
      pageToken: randomBytes(18).toString('base64url'),
      statuses: [
        { status: STATUS.created, date: at, reason: null, kind: null },
        { status: STATUS.initialized, date: at, reason: null, kind: null },
      ],
      identity: undefined,
      evidenceId: null,
      lastCallback: undefined,
    };
    this.identifications.set(refId, record);
    this.byPageToken.set(record.pageToken, record);
    return record;
  }

  addStatus(i: SimIdentification, status: WireStatus, reason: string | null = null): void {
    i.statuses.push({ status, date: this.now().toISOString(), reason, kind: null });
  }
}

export function newEvidenceId(): string {
  return `RAS${randomBytes(12).toString('hex')}`;
}

export function newSerialNumber(): string {
  return `SRS${randomBytes(6).toString('hex').toUpperCase()}`;
}
