/**
 * One Mobile ID login, from the phone number to a verified signature, kept in PostgreSQL
 * (table mobileid_transactions) so that any instance can continue it and a restart loses none.
 *
 *   start: normalise the number → rate limits → one pending request per number → profile query
 *          (has the number Mobile ID, SIM or App?) → async MSS signature
 *   check: at most one outbound status query per login and poll interval, however many browsers
 *          or instances ask → on a signature: CMS verification (content = our DTBD, chain to the
 *          trust anchors) → geofence thresholds → done; on a fault: its translated message.
 */
import crypto from 'node:crypto';

import DataLoader from 'dataloader';

import type { AccountRow } from '../accounts/index.js';
import { asDate, type Db } from '../db/index.js';
import { asError, BATCH_OPTIONS, disjointGroups, run, statement, type Statement, type Write } from '../db/statements.js';
import { AppError } from '../errors.js';
import type { CertificateStore } from './certificates.js';
import type { MobileIdClient } from './client.js';
import { verifyCmsSignature } from './cms.js';
import { buildDtbd, buildReceiptText, userLangFor } from './dtbd.js';
import { MobileIdError } from './errors.js';
import { evaluateGeofence, type GeofenceThresholds } from './geofence.js';
import { maskMsisdn, normaliseMsisdn } from './msisdn.js';
import { SIGNATURE_PROFILES, TRANSACTION_TIMEOUT_SECONDS } from './protocol.js';
import type { GeofencingData, SignatureCompleted } from './responses.js';

const TABLE = 'mobileid_transactions';

/**
 * The table fills and empties with the logins of the moment, so PostgreSQL often plans these
 * statements while it believes the table empty (a new deployment, a burst of logins before the
 * first analyse): a plan made then is kept until the statistics change. Each statement is prepared
 * once per connection and written so that even that plan finds its rows by a key (batches through
 * `uuid_keys`, migration 012). Three are planned for their values every time:
 * - `signed` and `fail`: with `id = $1 and status = 'pending'` a plan made on a table believed empty
 *   reads the whole index of pending logins (`mobileid_transactions_one_pending`); they run at most
 *   once per login, and only when it fails or when the status endpoint stores a signature;
 * - `poll`: prepared, PostgreSQL judged its kept plan dearer than planning for the values, kept
 *   planning it anyway, and those plans read the table whole in some batches (10 000 pending logins
 *   polled: 237 rows read per poll instead of 2); sent for its values, its batch of keys is known.
 * The integration tests check the plans on a table that was never analysed.
 */
const SQL = {
  /**
   * See MobileIdLogins.claim; batched (`$1`: a JSON array of `ClaimRow`s, no two of one number or
   * one client address). The rate limits count at most `max` recent rows, so their cost stays bounded.
   */
  claim: statement(
    'mobileid_claims',
    `with c as materialized (
       select c.*,
              (select count(*)::int from (select 1 from ${TABLE} t where t.msisdn = c.msisdn and t.created_at > c.number_since limit c.number_max) r) as by_number,
              (select count(*)::int from (select 1 from ${TABLE} t where t.client_ip = c.client_ip and t.created_at > c.ip_since limit c.ip_max) r) as by_ip,
              (select t.expires_at from ${TABLE} t where t.msisdn = c.msisdn and t.status = 'pending' limit 1) as pending_until
         from jsonb_to_recordset($1::jsonb) as c(id uuid, interaction_uid text, client_id text, msisdn text, client_ip text, locale text, dtbd text,
                                                 transaction_code text, signature_profile text, method text, geofence_policy jsonb,
                                                 created_at timestamptz, expires_at timestamptz,
                                                 number_since timestamptz, number_max int, ip_since timestamptz, ip_max int)
     ), inserted as (
       insert into ${TABLE} (id, interaction_uid, client_id, msisdn, client_ip, locale, dtbd, transaction_code, ap_trans_id,
                             signature_profile, method, geofence_policy, status, created_at, expires_at, next_poll_at)
       select id, interaction_uid, client_id, msisdn, client_ip, locale, dtbd, transaction_code, 'pending',
              signature_profile, method, geofence_policy, 'pending', created_at, expires_at, created_at
         from c
        where by_number < number_max and by_ip < ip_max and pending_until is null
       on conflict do nothing
       returning id
     )
     select c.id, c.by_number, c.by_ip, c.pending_until, c.id in (select id from inserted) as inserted from c`
  ),
  expireStale: statement(
    'mobileid_expire_stale',
    `update ${TABLE} set status = 'failed', error = $3::jsonb, completed_at = $2 where msisdn = $1 and status = 'pending' and expires_at <= $2`
  ),
  /** The requests Mobile ID accepted at the moment (batched: parallel arrays, one element per login). */
  accepted: statement(
    'mobileid_accepted',
    `update ${TABLE} t set ap_trans_id = ($2::text[])[k.n], mssp_trans_id = ($3::text[])[k.n], signature_profile = ($4::text[])[k.n],
                          method = ($6::text[])[k.n], expires_at = ($5::timestamptz[])[k.n]
       from uuid_keys($1::uuid[]) k
      where t.id = k.id`
  ),
  row: statement('mobileid_row', `select * from ${TABLE} where id = $1`),
  /**
   * The rows of the logins asked for at the moment (`$1`, distinct ids), and whether the caller
   * may ask Mobile ID for the status now: the first caller after the poll time moves it on by one
   * interval and gets `claimed`, with the account of the number (for the account step, should the
   * answer be a signature); everyone else (another browser tab, another instance) gets the row as
   * it is. The logins are looked up by their keys (`uuid_keys`, migration 012) and those due are
   * changed where they lie (ctid), on condition that no one moved their poll time meanwhile (a
   * login settled meanwhile comes back settled: its status is what counts). With the status among
   * the conditions of a lookup, PostgreSQL read the whole index of pending logins for each batch,
   * even for each login, while the table had no statistics (a burst of logins on a new database).
   */
  poll: statement(
    'mobileid_poll',
    `with found as materialized (
       select t.ctid as at, t.status, t.mssp_trans_id, t.next_poll_at, t.expires_at from uuid_keys($1::uuid[]) k join ${TABLE} t on t.id = k.id
     ), claimed as (
       update ${TABLE} t set next_poll_at = $3, polls = t.polls + 1
        where t.ctid = any(array(select at from found where status = 'pending' and mssp_trans_id is not null and next_poll_at <= $2 and expires_at > $2))
          and t.next_poll_at <= $2
       returning t.*
     )
     select c.*, true as claimed, (select to_jsonb(a) from accounts a where a.msisdn = c.msisdn) as account from claimed c
     union all
     select t.*, false as claimed, null as account
       from uuid_keys($1::uuid[]) k join ${TABLE} t on t.id = k.id
      where t.id not in (select id from claimed)`,
    { plan: 'each' },
  ),
  signed: statement(
    'mobileid_signed',
    `update ${TABLE} set status = 'signed', result = $2::jsonb, completed_at = $3 where id = $1 and status = 'pending' returning *`,
    { plan: 'each' },
  ),
  fail: statement(
    'mobileid_fail',
    `update ${TABLE} set status = 'failed', error = $2::jsonb, completed_at = $3 where id = $1 and status = 'pending' returning *`,
    { plan: 'each' },
  ),
  /** From `signed`, or straight from `pending` when the signature was verified in the request that finishes the login. */
  completed: statement(
    'mobileid_completed',
    `update ${TABLE} set status = 'completed', result = $2::jsonb, completed_at = coalesce(completed_at, $3) where id = $1 and status in ('pending', 'signed')`
  ),
  refused: statement(
    'mobileid_refused',
    `update ${TABLE} set status = 'failed', error = $2::jsonb, completed_at = coalesce(completed_at, $3) where id = $1 and status in ('pending', 'signed')`
  ),
};

export interface RateLimit {
  max: number;
  windowSeconds: number;
}

export interface MobileIdLoginSettings {
  /** The AP's DTBD prefix, e.g. "ServiceCore: ". */
  dtbdPrefix: string;
  /** Country calling code for national numbers such as 079 123 45 67. */
  defaultCountryCode: string;
  /** Signature profile requested when the number has the SIM (or both). */
  signatureProfile: string;
  /** Minimum time between two outbound status queries of one login. */
  pollIntervalMs: number;
  perNumber: RateLimit;
  perIp: RateLimit;
  trustAnchors: CertificateStore;
  /** Send an MSS Receipt after a successful login. */
  receipt: boolean;
  /** Seconds to wait beyond the transaction timeout before a login counts as expired. */
  graceSeconds?: number;
}

export type MobileIdMethod = 'sim' | 'app';

export interface LoginFailure {
  code: string;
  messageKey: string;
  adviceKey?: string | undefined;
  params?: Record<string, string | number>;
  providerCode?: number | undefined;
}

export interface LoginSuccess {
  msisdn: string;
  serial: string;
  method: MobileIdMethod;
  signatureProfile: string;
  /** RFC 8176 authentication method references. */
  amr: string[];
  /** Location released with the `mobileid_location` scope; present when geofencing was asked. */
  location?: { country: string; accuracy: number; locationConfidence: number; deviceConfidence: number; timestamp: string } | undefined;
  signedAt: string;
  /**
   * The Levels of Trust whose geofencing thresholds the location met, added by the account step
   * (src/interactions/mobileid.ts), which knows the levels and the client.
   */
  geofencedLevels?: string[] | undefined;
}

export interface LoginState {
  id: string;
  interactionUid: string;
  /** signed: verified, waiting for the account step; completed: handed over to the policy step. */
  status: 'pending' | 'signed' | 'completed' | 'failed';
  transactionCode: string;
  method: MobileIdMethod;
  maskedMsisdn: string;
  /** Mobile ID's id of the request, once it accepted it (for the receipt). */
  msspTransId?: string | undefined;
  /** The page language the login was started in. */
  locale: string;
  expiresAt: Date;
  error?: LoginFailure | undefined;
  result?: LoginSuccess | undefined;
  /**
   * With a signature verified by this check: the account of the number as it was read with the
   * login (null: none yet), so that the account step need not read it again.
   */
  account?: AccountRow | null;
}

interface Row {
  id: string;
  locale: string;
  interaction_uid: string;
  msisdn: string;
  dtbd: string;
  transaction_code: string;
  mssp_trans_id: string | null;
  signature_profile: string | null;
  /** null until Mobile ID accepted the request (and in rows older than migration 013). */
  method: MobileIdMethod | null;
  geofence_policy: GeofenceThresholds | string | null;
  next_poll_at: Date;
  status: 'pending' | 'signed' | 'completed' | 'failed';
  error: LoginFailure | string | null;
  result: LoginSuccess | string | null;
  expires_at: Date;
}

const parse = <T>(v: T | string | null): T | undefined => (v === null ? undefined : typeof v === 'string' ? (JSON.parse(v) as T) : v);

/**
 * The method a signature profile forces: STK-LoA4 the SIM, Device-LoA4 the App. Any other
 * (Any-LoA4, Any-Geofencing-LoA4, AuthProfile1, a profile Swisscom mapped for the AP such as
 * `…/My-Custom-Profile`) does not say which one the person used.
 */
export function methodOfProfile(profile: string | null | undefined): MobileIdMethod | undefined {
  if (profile === SIGNATURE_PROFILES.sim) return 'sim';
  if (profile === SIGNATURE_PROFILES.app) return 'app';
  return undefined;
}

/**
 * The method a login used (reference guide 3.2.1.1): the profile Mobile ID answered with, else the
 * profile we asked for, when it names one; else the only method the number has. When none of
 * these tells, the App: the SIM's assurance (a hardware key) is never claimed without evidence.
 */
export function methodUsed(p: { answered?: (string | null | undefined)[]; requested: string; activeMethods: readonly MobileIdMethod[] }): MobileIdMethod {
  for (const profile of [...(p.answered ?? []), p.requested]) {
    const method = methodOfProfile(profile);
    if (method) return method;
  }
  return p.activeMethods.length === 1 && p.activeMethods[0] === 'sim' ? 'sim' : 'app';
}

/** RFC 8176 values for what the person did: the SIM applet needs the PIN on a hardware key. */
export function amrFor(method: MobileIdMethod, geofenced: boolean): string[] {
  const base = method === 'sim' ? ['hwk', 'pin', 'mfa'] : ['swk', 'mfa'];
  return geofenced ? [...base, 'geo'] : base;
}

function toState(row: Row): LoginState {
  return {
    id: row.id,
    interactionUid: row.interaction_uid,
    status: row.status,
    transactionCode: row.transaction_code,
    method: row.method ?? methodOfProfile(row.signature_profile) ?? 'app',
    maskedMsisdn: maskMsisdn(row.msisdn),
    msspTransId: row.mssp_trans_id ?? undefined,
    locale: row.locale,
    expiresAt: row.expires_at,
    error: parse<LoginFailure>(row.error),
    result: parse<LoginSuccess>(row.result),
  };
}

function failureOf(err: unknown): LoginFailure {
  if (err instanceof MobileIdError) {
    return {
      code: err.code,
      messageKey: err.messageKey,
      params: err.params,
      providerCode: err.providerCode,
    };
  }
  return { code: 'internal_error', messageKey: 'mobileid.error.unavailable' };
}

export interface StartLogin {
  interactionUid: string;
  clientId: string;
  serviceName: string;
  phone: string;
  locale: string;
  clientIp: string;
  geofence?: GeofenceThresholds | undefined;
  /** The request's logger (with its request id); the service's otherwise. */
  log?: LoginLog | undefined;
}

export interface LoginLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class MobileIdLogins {
  /** The polls and acceptances of concurrent requests, each batch in one statement. */
  private readonly batches: ReturnType<typeof loginBatches>;

  constructor(
    private readonly db: Db,
    private readonly client: MobileIdClient,
    private readonly settings: MobileIdLoginSettings,
    private readonly log: LoginLog,
  ) {
    this.batches = loginBatches(db, settings.pollIntervalMs);
  }

  /** Send the request to the phone. Throws AppError/MobileIdError with a user message key. */
  async start(p: StartLogin): Promise<LoginState> {
    const log = p.log ?? this.log;
    const msisdn = normaliseMsisdn(p.phone, this.settings.defaultCountryCode);
    const now = new Date();
    const geofencing = p.geofence?.required === true;
    const dtbd = buildDtbd({ prefix: this.settings.dtbdPrefix, service: p.serviceName, language: p.locale });
    // The row claims the number's one pending request before anyone is asked anything; it is
    // written with the SIM's (longer) timeout and corrected once Mobile ID has accepted.
    const row: Row = {
      id: crypto.randomUUID(),
      locale: p.locale,
      interaction_uid: p.interactionUid,
      msisdn,
      dtbd: dtbd.text,
      transaction_code: dtbd.transactionCode,
      mssp_trans_id: null,
      signature_profile: this.settings.signatureProfile,
      method: null,
      geofence_policy: p.geofence ?? null,
      next_poll_at: now,
      status: 'pending',
      error: null,
      result: null,
      expires_at: this.expiry(now, 'sim'),
    };
    await this.claim(row, p, now);

    try {
      // Which methods does the number have? (No Mobile ID at all → fault 105 before anyone is bothered.)
      const profile = await this.client.profile(msisdn);
      const onlyApp = profile.activeMethods.length > 0 && !profile.activeMethods.includes('sim');
      const signatureProfile = onlyApp
        ? SIGNATURE_PROFILES.app
        : geofencing && this.settings.signatureProfile === SIGNATURE_PROFILES.any
          ? SIGNATURE_PROFILES.anyGeofencing
          : this.settings.signatureProfile;
      // The SIM's (longer) time unless the App is certain to be asked.
      const timeoutMethod = methodOfProfile(signatureProfile) ?? 'sim';
      const accepted = await this.client.signAsync({
        msisdn,
        dtbd: dtbd.text,
        userLang: dtbd.userLang,
        signatureProfile,
        timeoutSeconds: TRANSACTION_TIMEOUT_SECONDS[timeoutMethod],
        ...(geofencing ? { geofencing: true } : {}),
      });
      const method = methodUsed({ answered: [accepted.signatureProfile], requested: signatureProfile, activeMethods: profile.activeMethods });
      row.mssp_trans_id = accepted.msspTransId;
      row.signature_profile = accepted.signatureProfile ?? signatureProfile;
      row.method = method;
      row.expires_at = this.expiry(now, timeoutMethod);
      await this.batches.accepted.load({
        id: row.id,
        apTransId: accepted.apTransId,
        msspTransId: accepted.msspTransId,
        signatureProfile: row.signature_profile,
        method,
        expiresAt: row.expires_at,
      });
      log.info({ login: row.id, msisdn: maskMsisdn(msisdn), method }, 'mobile id request sent');
    } catch (err) {
      await this.fail(row.id, failureOf(err), log);
      throw err;
    }
    return toState(row);
  }

  private expiry(start: Date, method: MobileIdMethod): Date {
    return new Date(start.getTime() + (TRANSACTION_TIMEOUT_SECONDS[method] + (this.settings.graceSeconds ?? 10)) * 1000);
  }

  /**
   * Insert the login unless a rate limit is reached or the number has a request pending, in one
   * statement. A pending request whose time is up no longer blocks the number: it is marked
   * expired and the insert tried once more.
   */
  private async claim(row: Row, p: StartLogin, now: Date): Promise<void> {
    const { perNumber, perIp } = this.settings;
    const since = (limit: RateLimit) => new Date(now.getTime() - limit.windowSeconds * 1000).toISOString();
    for (let attempt = 0; ; attempt++) {
      const result = await this.batches.claims.load({
        id: row.id,
        interaction_uid: row.interaction_uid,
        client_id: p.clientId,
        msisdn: row.msisdn,
        client_ip: p.clientIp,
        locale: row.locale,
        dtbd: row.dtbd,
        transaction_code: row.transaction_code,
        signature_profile: row.signature_profile,
        method: row.method,
        geofence_policy: row.geofence_policy,
        created_at: now.toISOString(),
        expires_at: row.expires_at.toISOString(),
        number_since: since(perNumber),
        number_max: perNumber.max,
        ip_since: since(perIp),
        ip_max: perIp.max,
      });
      if (result.inserted) return;
      if (Number(result.by_number) >= perNumber.max || Number(result.by_ip) >= perIp.max) {
        (p.log ?? this.log).warn({ msisdn: maskMsisdn(row.msisdn), ip: p.clientIp }, 'mobile id rate limit reached');
        throw new AppError({
          code: 'rate_limited',
          status: 429,
          messageKey: 'mobileid.error.rate_limited',
          params: { minutes: Math.ceil(Math.max(perNumber.windowSeconds, perIp.windowSeconds) / 60) },
        });
      }
      const pendingUntil = result.pending_until ? asDate(result.pending_until) : undefined;
      if (attempt > 0 || !pendingUntil || pendingUntil > now) throw alreadyPending();
      await run(this.db, SQL.expireStale, [row.msisdn, now, JSON.stringify(EXPIRED)]);
    }
  }

  async get(id: string): Promise<LoginState> {
    const row = await this.row(id);
    if (!row) throw loginNotFound();
    return toState(row);
  }

  /**
   * The state of a login, querying Mobile ID when the poll interval has passed. Whoever wins the
   * conditional update does the outbound call; everyone else reads the stored state.
   *
   * `finishing`: the caller goes on to the account step in the same request, so a signature
   * verified now is not stored on its own: the state says `signed` with the result, and the
   * account step stores it (`completedWrite`). Should that step fail, the login is still pending
   * and the next check asks Mobile ID again.
   */
  async check(id: string, opts: { finishing?: boolean; log?: LoginLog | undefined } = {}): Promise<LoginState> {
    const log = opts.log ?? this.log;
    if (!isLoginId(id)) throw loginNotFound();
    const now = new Date();
    const row = await this.batches.polls.load(id);
    if (!row) throw loginNotFound();
    if (row.status !== 'pending') return toState(row);
    if (row.expires_at <= now) {
      return this.settled(row, await this.fail(row.id, EXPIRED, log));
    }
    if (!row.claimed || !row.mssp_trans_id) return toState(row);

    try {
      const status = await this.client.status({ msspTransId: row.mssp_trans_id, msisdn: row.msisdn });
      if (status.state === 'outstanding') return toState(row);
      const finishing = opts.finishing === true;
      const state = await this.settled(row, await this.complete(row, status, finishing, log));
      return finishing && state.status === 'signed' ? { ...state, account: row.account } : state;
    } catch (err) {
      // Every fault ends the login with its message; a fault 900 or a network error only after the
      // client's one retry ("Mobile ID is unavailable"). The person can start again at once.
      const why = err instanceof MobileIdError
        ? { code: err.code, detail: err.detail }
        : { error: err instanceof Error ? err.name : typeof err, detail: err instanceof Error ? err.message.slice(0, 200) : undefined };
      // The person's own outcomes (cancelled, expired, PIN blocked…) are logged by `fail`; an outage,
      // a malformed answer or a signature that does not verify is worth a warning.
      if (!(err instanceof MobileIdError) || err.code === 'unavailable' || err.providerCode === undefined) {
        log.warn({ login: id, ...why }, 'mobile id status check failed');
      }
      return this.settled(row, await this.fail(row.id, failureOf(err), log));
    }
  }

  /** The state after this caller's update, or (when another caller settled the login first) as stored. */
  private async settled(row: Row, updated: Row | undefined): Promise<LoginState> {
    return updated ? toState(updated) : this.get(row.id);
  }

  /**
   * Verify the signature and keep the result (in the row returned, and in the table unless
   * `finishing`); undefined when the login was settled meanwhile.
   */
  private async complete(row: Row, signed: SignatureCompleted, finishing: boolean, log: LoginLog): Promise<Row | undefined> {
    const now = new Date();
    const verified = await verifyCmsSignature(signed.base64Signature, {
      expectedDtbd: row.dtbd,
      trustAnchors: this.settings.trustAnchors,
      now,
    });
    if (!verified.mobileIdSerial) {
      throw new MobileIdError({ code: 'signature_invalid', status: 502, messageKey: 'mobileid.error.signature_invalid', detail: 'signer certificate has no serialNumber' });
    }
    const policy = parse<GeofenceThresholds>(row.geofence_policy);
    let location: LoginSuccess['location'];
    if (policy?.required) {
      const decision = evaluateGeofence(signed.geofencing, policy, now);
      if (!decision.ok) {
        log.info({ login: row.id, reason: decision.reason, detail: decision.detail }, 'mobile id geofence refused');
        return this.fail(row.id, {
          code: decision.reason,
          messageKey: decision.messageKey,
          adviceKey: decision.adviceKey,
          providerCode: decision.geofencingErrorCode,
        }, log);
      }
      location = locationOf(signed.geofencing);
    }
    // The status answer's profile, when it names a method, is the last word on it.
    const signatureProfile = signed.signatureProfile ?? row.signature_profile ?? SIGNATURE_PROFILES.any;
    const method = methodOfProfile(signed.signatureProfile) ?? row.method ?? methodOfProfile(row.signature_profile) ?? 'app';
    const result: LoginSuccess = {
      msisdn: row.msisdn,
      serial: verified.mobileIdSerial.toUpperCase(),
      method,
      signatureProfile,
      amr: amrFor(method, location !== undefined),
      location,
      signedAt: now.toISOString(),
    };
    const updated = finishing ? { ...row, status: 'signed' as const, result } : (await run<Row>(this.db, SQL.signed, [row.id, JSON.stringify(result), now])).rows[0];
    log.info({ login: row.id, method }, 'mobile id signature verified');
    return updated;
  }

  /**
   * The MSS Receipt (3.4), when configured: sent once the account step has taken the login (so
   * never to a login refused there, and once per login), without waiting for the answer.
   */
  sendReceipt(state: LoginState, log: LoginLog = this.log): void {
    if (!this.settings.receipt || !state.msspTransId || !state.result) return;
    const message = buildReceiptText({ prefix: this.settings.dtbdPrefix, language: state.locale });
    this.client
      .receipt({ msisdn: state.result.msisdn, msspTransId: state.msspTransId, message, userLang: userLangFor(state.locale) })
      .then(() => log.info({ login: state.id }, 'mobile id receipt sent'))
      .catch((err: unknown) => log.warn({ login: state.id, code: (err as MobileIdError).code }, 'mobile id receipt failed'));
  }

  /**
   * The account step is done: the login now belongs to `accountId`, goes on to the policy step and
   * cannot be replayed. A write to run with the account step's own (`runWrites`).
   */
  completedWrite(state: LoginState, accountId: string): Write {
    return { text: SQL.completed.text, values: [state.id, JSON.stringify({ ...state.result, accountId }), new Date()], row: `${TABLE}:${state.id}` };
  }

  /** The account step refused the login (e.g. a changed serial under the reject policy). */
  async refuse(id: string, error: LoginFailure, log: LoginLog = this.log): Promise<void> {
    await run(this.db, SQL.refused, [id, JSON.stringify(error), new Date()]);
    log.info({ login: id, code: error.code }, 'mobile id login refused');
  }

  /** A completed login of this interaction: who logged in and how. */
  async completed(id: string, interactionUid: string): Promise<(LoginSuccess & { accountId: string }) | undefined> {
    const row = await this.row(id);
    if (!row || row.status !== 'completed' || row.interaction_uid !== interactionUid) return undefined;
    return parse<LoginSuccess>(row.result) as (LoginSuccess & { accountId: string }) | undefined;
  }

  /** End a pending login; the updated row, or undefined when it was no longer pending. */
  private async fail(id: string, error: LoginFailure, log: LoginLog = this.log): Promise<Row | undefined> {
    const { rows } = await run<Row>(this.db, SQL.fail, [id, JSON.stringify(error), new Date()]);
    log.info({ login: id, code: error.code, providerCode: error.providerCode }, 'mobile id login failed');
    return rows[0];
  }

  private async row(id: string): Promise<Row | undefined> {
    if (!isLoginId(id)) return undefined;
    const { rows } = await run<Row>(this.db, SQL.row, [id]);
    return rows[0];
  }
}

/** The statements on mobileid_transactions, whose plans the tests check. */
export const LOGIN_STATEMENTS: Readonly<Record<keyof typeof SQL, Statement>> = SQL;

type PolledRow = Row & { claimed: boolean; account: AccountRow | null };

/** A login to insert unless a rate limit is reached or its number has a request pending (`SQL.claim`). */
interface ClaimRow {
  id: string;
  interaction_uid: string;
  client_id: string;
  msisdn: string;
  client_ip: string;
  locale: string;
  dtbd: string;
  transaction_code: string;
  signature_profile: string | null;
  method: MobileIdMethod | null;
  geofence_policy: GeofenceThresholds | string | null;
  /** ISO 8601, as the timestamps below. */
  created_at: string;
  expires_at: string;
  number_since: string;
  number_max: number;
  ip_since: string;
  ip_max: number;
}

interface ClaimResult {
  id: string;
  by_number: number;
  by_ip: number;
  pending_until: Date | null;
  inserted: boolean;
}

interface Acceptance {
  id: string;
  apTransId: string;
  msspTransId: string | null;
  signatureProfile: string | null;
  method: MobileIdMethod;
  expiresAt: Date;
}

/**
 * Statements that every login makes once or more, batched across the requests of the moment (the
 * lookups of one turn of the event loop) as the adapter batches its lookups: under load, one
 * round trip to the database for many logins.
 */
function loginBatches(db: Db, pollIntervalMs: number) {
  const polls = new DataLoader<string, PolledRow | undefined>(async (ids) => {
    const now = new Date();
    const { rows } = await run<PolledRow>(db, SQL.poll, [[...new Set(ids)], now, new Date(now.getTime() + pollIntervalMs)]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    // A login asked for twice in one batch (two tabs) is claimed for the first caller only.
    const seen = new Set<string>();
    return ids.map((id) => {
      const row = byId.get(id);
      if (!row || !seen.has(id)) {
        seen.add(id);
        return row;
      }
      return { ...row, claimed: false, account: null };
    });
  }, BATCH_OPTIONS);
  const accepted = new DataLoader<Acceptance, void>(async (batch) => {
    await run(db, SQL.accepted, [
      batch.map((a) => a.id),
      batch.map((a) => a.apTransId),
      batch.map((a) => a.msspTransId),
      batch.map((a) => a.signatureProfile),
      batch.map((a) => a.expiresAt),
      batch.map((a) => a.method),
    ]);
    return batch.map(() => undefined);
  }, BATCH_OPTIONS);
  // Claims of one number or one client address go into separate statements: each counts the
  // others' rows as it would alone (a statement does not see its own inserts).
  const claims = new DataLoader<ClaimRow, ClaimResult>(async (batch) => {
    const results: (ClaimResult | Error)[] = new Array(batch.length);
    for (const members of disjointGroups(batch, (c) => [`msisdn:${c.msisdn}`, `ip:${c.client_ip}`])) {
      try {
        const { rows } = await run<ClaimResult>(db, SQL.claim, [JSON.stringify(members.map((i) => batch[i]))]);
        const byId = new Map(rows.map((r) => [r.id, r]));
        for (const i of members) results[i] = byId.get(batch[i]!.id) ?? new Error('mobile id claim: no result row');
      } catch (err) {
        for (const i of members) results[i] = asError(err);
      }
    }
    return results;
  }, BATCH_OPTIONS);
  return { polls, accepted, claims };
}

function locationOf(data: GeofencingData | undefined): LoginSuccess['location'] {
  if (data?.kind !== 'location') return undefined;
  return {
    country: data.country,
    accuracy: data.accuracyMeters,
    locationConfidence: data.locationConfidence,
    deviceConfidence: data.deviceConfidence,
    timestamp: data.timestamp,
  };
}

/** A login whose time ran out before Mobile ID answered. */
const EXPIRED: LoginFailure = { code: 'expired_transaction', messageKey: 'mobileid.fault.208' };

const isLoginId = (id: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

function alreadyPending(): AppError {
  return new AppError({ code: 'already_pending', status: 409, messageKey: 'mobileid.error.already_pending' });
}

/** No such login, or not one of this interaction (the browser is asked to start again). */
export function loginNotFound(): AppError {
  return new AppError({ code: 'login_not_found', status: 404, messageKey: 'error.session_expired' });
}
