/** Identity verifications of users, with the evidence each method proved (JSONB). */
import crypto from 'node:crypto';

import { asDate, type Db } from '../db/index.js';
import type { MethodKind, Verification, VerificationStatus } from '../qor/index.js';
import { recordedIdentity } from './identity.js';

export interface NewVerification {
  accountId: string;
  method: string;
  kind: MethodKind;
  status: VerificationStatus;
  providerReference?: string | undefined;
  /** What the method proved: names, date of birth, document, … (never logged). */
  evidence: Record<string, unknown>;
  boundSerial: string | null;
  verifiedAt?: Date | undefined;
  expiresAt?: Date | undefined;
}

export interface StoredVerification extends Verification {
  accountId: string;
  providerReference: string | null;
  evidence: Record<string, unknown>;
}

export interface VerificationRow {
  id: string;
  account_id: string;
  method: string;
  kind: MethodKind;
  status: VerificationStatus;
  provider_reference: string | null;
  evidence: Record<string, unknown> | string;
  bound_serial: string | null;
  verified_at: Date | string | null;
  expires_at: Date | string | null;
}

/** A stored verification from its row, as selected or as read inside JSON (`to_jsonb`). */
export function verificationFromRow(r: VerificationRow): StoredVerification {
  const evidence = typeof r.evidence === 'string' ? (JSON.parse(r.evidence) as Record<string, unknown>) : r.evidence;
  const identity = recordedIdentity(r.kind, evidence);
  return {
    id: r.id,
    accountId: r.account_id,
    method: r.method,
    kind: r.kind,
    status: r.status,
    providerReference: r.provider_reference,
    evidence,
    ...(identity ? { identity } : {}),
    boundSerial: r.bound_serial,
    verifiedAt: asDate(r.verified_at) ?? new Date(0),
    expiresAt: asDate(r.expires_at) ?? new Date(0),
  };
}

export async function recordVerification(db: Db, v: NewVerification): Promise<StoredVerification> {
  const [row] = (await db('verifications')
    .insert({
      id: crypto.randomUUID(),
      account_id: v.accountId,
      method: v.method,
      kind: v.kind,
      status: v.status,
      provider_reference: v.providerReference ?? null,
      evidence: JSON.stringify(v.evidence),
      bound_serial: v.boundSerial,
      verified_at: v.verifiedAt ?? null,
      expires_at: v.expiresAt ?? null,
    })
    .returning('*')) as VerificationRow[];
  return verificationFromRow(row!);
}

export async function listVerifications(db: Db, accountId: string): Promise<StoredVerification[]> {
  if (!/^[0-9a-f-]{36}$/i.test(accountId)) return [];
  const rows = (await db('verifications').where({ account_id: accountId }).orderBy('created_at')) as VerificationRow[];
  return rows.map(verificationFromRow);
}

export interface VerificationUpdate {
  status: VerificationStatus;
  /** Replaces the stored evidence when given. */
  evidence?: Record<string, unknown> | undefined;
  verifiedAt?: Date | undefined;
  expiresAt?: Date | undefined;
}

/**
 * Moves a verification on (e.g. a pending counter case to approved or rejected). Only a record
 * still in `fromStatus` changes; returns the updated record, or undefined when it was not there.
 */
export async function updateVerificationStatus(db: Db, id: string, fromStatus: VerificationStatus, update: VerificationUpdate): Promise<StoredVerification | undefined> {
  const [row] = (await db('verifications')
    .where({ id, status: fromStatus })
    .update({
      status: update.status,
      ...(update.evidence ? { evidence: JSON.stringify(update.evidence) } : {}),
      ...(update.verifiedAt ? { verified_at: update.verifiedAt } : {}),
      ...(update.expiresAt ? { expires_at: update.expiresAt } : {}),
      updated_at: db.fn.now(),
    })
    .returning('*')) as VerificationRow[];
  return row && verificationFromRow(row);
}
