/** The rows of srs_identifications and srs_callback_jtis (see migrations/006). */
import crypto from 'node:crypto';

import type { Db } from '../../db/index.js';
import type { ClaimedIdentity } from '../identity.js';
import type { ReplayStore } from './callback-jwt.js';
import type { ProvenIdentity } from './responses.js';
import type { SrsStatus } from './statuses.js';

export const TABLE = 'srs_identifications';
const JTIS = 'srs_callback_jtis';

/** `starting`: one instance is ordering the identification at SRS right now (see claimStart). */
export type IdentificationStatus = 'draft' | 'starting' | 'started' | 'approved' | 'failed' | 'cancelled';

/** What the user entered: the claimed identity, and an optional e-mail address for the partner. */
export interface Details extends ClaimedIdentity {
  email?: string | undefined;
}

export interface Identification {
  id: string;
  accountId: string;
  interactionUid: string;
  loginId: string;
  returnUrl: string;
  method: string;
  boundSerial: string;
  locale: string;
  status: IdentificationStatus;
  details: Details | undefined;
  isp: string | undefined;
  ispMethod: string | undefined;
  loa: number | undefined;
  jurisdiction: string | undefined;
  refId: string | undefined;
  targetUrl: string | undefined;
  srsStatus: SrsStatus | undefined;
  messageKey: string | undefined;
  proven: ProvenIdentity | undefined;
  evidenceId: string | undefined;
  verificationId: string | undefined;
  createdAt: Date;
  startedAt: Date | undefined;
  expiresAt: Date;
  nextPollAt: Date;
}

interface Row {
  id: string;
  account_id: string;
  interaction_uid: string;
  login_id: string;
  return_url: string;
  method: string;
  bound_serial: string;
  locale: string;
  status: IdentificationStatus;
  claimed: Details | string | null;
  isp: string | null;
  isp_method: string | null;
  loa: number | null;
  jurisdiction: string | null;
  ref_id: string | null;
  target_url: string | null;
  srs_status: SrsStatus | null;
  message_key: string | null;
  proven: ProvenIdentity | string | null;
  evidence_id: string | null;
  verification_id: string | null;
  created_at: Date;
  started_at: Date | null;
  expires_at: Date;
  next_poll_at: Date;
}

const json = <T>(v: T | string | null): T | undefined => (v === null ? undefined : typeof v === 'string' ? (JSON.parse(v) as T) : v);
const opt = <T>(v: T | null): T | undefined => v ?? undefined;

function fromRow(r: Row): Identification {
  return {
    id: r.id,
    accountId: r.account_id,
    interactionUid: r.interaction_uid,
    loginId: r.login_id,
    returnUrl: r.return_url,
    method: r.method,
    boundSerial: r.bound_serial,
    locale: r.locale,
    status: r.status,
    details: json(r.claimed),
    isp: opt(r.isp),
    ispMethod: opt(r.isp_method),
    loa: opt(r.loa),
    jurisdiction: opt(r.jurisdiction),
    refId: opt(r.ref_id),
    targetUrl: opt(r.target_url),
    srsStatus: opt(r.srs_status),
    messageKey: opt(r.message_key),
    proven: json(r.proven),
    evidenceId: opt(r.evidence_id),
    verificationId: opt(r.verification_id),
    createdAt: new Date(r.created_at),
    startedAt: r.started_at ? new Date(r.started_at) : undefined,
    expiresAt: new Date(r.expires_at),
    nextPollAt: new Date(r.next_poll_at),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findIdentification(db: Db, id: string): Promise<Identification | undefined> {
  if (!UUID.test(id)) return undefined;
  const row = (await db(TABLE).where({ id }).first()) as Row | undefined;
  return row && fromRow(row);
}

export async function findByRefId(db: Db, refId: string): Promise<Identification | undefined> {
  const row = (await db(TABLE).where({ ref_id: refId }).first()) as Row | undefined;
  return row && fromRow(row);
}

export async function insertDraft(
  db: Db,
  d: { accountId: string; interactionUid: string; loginId: string; returnUrl: string; method: string; boundSerial: string; locale: string; expiresAt: Date },
): Promise<Identification> {
  const now = new Date();
  const [row] = (await db(TABLE)
    .insert({
      id: crypto.randomUUID(),
      account_id: d.accountId,
      interaction_uid: d.interactionUid,
      login_id: d.loginId,
      return_url: d.returnUrl,
      method: d.method,
      bound_serial: d.boundSerial,
      locale: d.locale,
      status: 'draft',
      created_at: now,
      updated_at: now,
      expires_at: d.expiresAt,
      next_poll_at: now,
    })
    .returning('*')) as Row[];
  return fromRow(row!);
}

/** The newest draft (or starting one) of this login for the method, or the newest started one of the account. */
export async function findOpen(
  db: Db,
  q: { accountId: string; method: string; interactionUid: string; boundSerial: string; now: Date },
): Promise<Identification | undefined> {
  const row = (await db(TABLE)
    .where({ account_id: q.accountId, method: q.method })
    .andWhere('expires_at', '>', q.now)
    .andWhere((w) =>
      w.where((d) => d.whereIn('status', ['draft', 'starting']).andWhere({ interaction_uid: q.interactionUid })).orWhere((s) => s.where({ status: 'started', bound_serial: q.boundSerial })),
    )
    .orderBy('created_at', 'desc')
    .first()) as Row | undefined;
  return row && fromRow(row);
}

/** Identifications of the account ordered at SRS (or being ordered) since then, whenever their draft was made. */
export async function countStartedSince(db: Db, accountId: string, since: Date): Promise<number> {
  const [row] = (await db(TABLE).where({ account_id: accountId }).andWhere('started_at', '>', since).count('* as count')) as { count: string | number }[];
  return Number(row?.count ?? 0);
}

/**
 * Compare-and-swap draft → starting, with the user's details: one caller orders the identification
 * at SRS, however many submit the form at once. A start left behind by a stopped instance can be
 * taken over once its lease has run out. The lease token, or undefined when another caller holds it.
 */
export async function claimStart(db: Db, id: string, claimed: Details, now: Date, ms: number): Promise<string | undefined> {
  const token = crypto.randomUUID();
  const n = await db(TABLE)
    .where({ id })
    .andWhere((w) => w.where({ status: 'draft' }).orWhere((s) => s.where({ status: 'starting' }).andWhere('lease_until', '<', now)))
    .andWhere('expires_at', '>', now)
    .update({ status: 'starting', claimed: JSON.stringify(claimed), started_at: now, lease_until: new Date(now.getTime() + ms), lease_token: token, updated_at: new Date() });
  return n === 1 ? token : undefined;
}

/** The start did not happen: back to a draft that keeps the details, and the attempt does not count. */
export async function abandonStart(db: Db, id: string, token: string): Promise<boolean> {
  const n = await db(TABLE)
    .where({ id, status: 'starting', lease_token: token })
    .update({ status: 'draft', started_at: null, lease_until: null, lease_token: null, updated_at: new Date() });
  return n === 1;
}

export async function updateIdentification(db: Db, id: string, changes: Record<string, unknown>, where: Record<string, unknown> = {}): Promise<number> {
  const out: Record<string, unknown> = { ...changes, updated_at: new Date() };
  for (const key of ['claimed', 'proven']) if (key in out && out[key] !== null) out[key] = JSON.stringify(out[key]);
  return db(TABLE).where({ id, ...where }).update(out);
}

/** Compare-and-swap on the poll time: one caller per interval wins, across instances. */
export async function claimPoll(db: Db, i: Identification, next: Date): Promise<boolean> {
  return (await db(TABLE).where({ id: i.id, next_poll_at: i.nextPollAt, status: 'started' }).update({ next_poll_at: next })) === 1;
}

/**
 * A lease while one instance confirms the evidence and records the verification. The lease token,
 * or undefined when another instance holds the lease.
 */
export async function claimLease(db: Db, id: string, now: Date, ms: number): Promise<string | undefined> {
  const token = crypto.randomUUID();
  const n = await db(TABLE)
    .where({ id, status: 'started' })
    .andWhere((w) => w.whereNull('lease_until').orWhere('lease_until', '<', now))
    .update({ lease_until: new Date(now.getTime() + ms), lease_token: token });
  return n === 1 ? token : undefined;
}

/** Gives the lease up, only if it is still this holder's (a lease taken over after it ran out stays). */
export async function releaseLease(db: Db, id: string, token: string): Promise<boolean> {
  const n = await db(TABLE).where({ id, lease_token: token }).update({ lease_until: null, lease_token: null });
  return n === 1;
}

/** Callback JWT ids, kept until the JWT expires: a second use is refused. */
export function dbReplayStore(db: Db, now: () => Date = () => new Date()): ReplayStore {
  return {
    async remember(jti, refId, expiresAt) {
      await db(JTIS).where('expires_at', '<', now()).delete();
      const inserted = (await db(JTIS).insert({ jti, ref_id: refId, expires_at: expiresAt }).onConflict('jti').ignore().returning('jti')) as unknown[];
      return inserted.length === 1;
    },
  };
}
