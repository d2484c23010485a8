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

import type { Db } from '../db/index.js';
import { AppError } from '../errors.js';
import type { CertificateStore } from './certificates.js';
import type { MobileIdClient } from './client.js';
import { verifyCmsSignature } from './cms.js';
import { buildDtbd, userLangFor } from './dtbd.js';
import { MobileIdError } from './errors.js';
import { evaluateGeofence, type GeofenceThresholds } from './geofence.js';
import { maskMsisdn, normaliseMsisdn } from './msisdn.js';
import { SIGNATURE_PROFILES, TRANSACTION_TIMEOUT_SECONDS } from './protocol.js';
import type { GeofencingData, SignatureCompleted } from './responses.js';

const TABLE = 'mobileid_transactions';

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
}

export interface LoginState {
  id: string;
  interactionUid: string;
  /** signed: verified, waiting for the account step; completed: handed over to the policy step. */
  status: 'pending' | 'signed' | 'completed' | 'failed';
  transactionCode: string;
  method: MobileIdMethod;
  maskedMsisdn: string;
  expiresAt: Date;
  error?: LoginFailure | undefined;
  result?: LoginSuccess | undefined;
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
  geofence_policy: GeofenceThresholds | string | null;
  next_poll_at: Date;
  status: 'pending' | 'signed' | 'completed' | 'failed';
  error: LoginFailure | string | null;
  result: LoginSuccess | string | null;
  expires_at: Date;
}

const parse = <T>(v: T | string | null): T | undefined => (v === null ? undefined : typeof v === 'string' ? (JSON.parse(v) as T) : v);

export function methodOfProfile(profile: string | undefined): MobileIdMethod {
  return profile === SIGNATURE_PROFILES.app ? 'app' : 'sim';
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
    method: methodOfProfile(row.signature_profile ?? undefined),
    maskedMsisdn: maskMsisdn(row.msisdn),
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

/** Faults that end a login; anything else while polling (a lost connection) is retried next poll. */
function isFinal(err: unknown): boolean {
  return !(err instanceof MobileIdError && err.code === 'unavailable');
}

export interface StartLogin {
  interactionUid: string;
  clientId: string;
  serviceName: string;
  phone: string;
  locale: string;
  clientIp: string;
  geofence?: GeofenceThresholds | undefined;
}

export interface LoginLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class MobileIdLogins {
  constructor(
    private readonly db: Db,
    private readonly client: MobileIdClient,
    private readonly settings: MobileIdLoginSettings,
    private readonly log: LoginLog,
  ) {}

  /** Send the request to the phone. Throws AppError/MobileIdError with a user message key. */
  async start(p: StartLogin): Promise<LoginState> {
    const msisdn = normaliseMsisdn(p.phone, this.settings.defaultCountryCode);
    const now = new Date();
    await this.expireStale(msisdn, now);
    await this.checkRateLimits(msisdn, p.clientIp, now);
    const pending = await this.db(TABLE).where({ msisdn, status: 'pending' }).first('id');
    if (pending) throw alreadyPending();

    // Which methods does the number have? (No Mobile ID at all → fault 105 before anyone is bothered.)
    const profile = await this.client.profile(msisdn);
    const onlyApp = profile.activeMethods.length > 0 && !profile.activeMethods.includes('sim');
    const geofencing = p.geofence?.required === true;
    const signatureProfile = onlyApp
      ? SIGNATURE_PROFILES.app
      : geofencing && this.settings.signatureProfile === SIGNATURE_PROFILES.any
        ? SIGNATURE_PROFILES.anyGeofencing
        : this.settings.signatureProfile;
    const method = methodOfProfile(signatureProfile);
    const timeoutSeconds = TRANSACTION_TIMEOUT_SECONDS[method];

    const dtbd = buildDtbd({ prefix: this.settings.dtbdPrefix, service: p.serviceName, language: p.locale });
    const id = crypto.randomUUID();
    try {
      await this.db(TABLE).insert({
        id,
        interaction_uid: p.interactionUid,
        client_id: p.clientId,
        msisdn,
        client_ip: p.clientIp,
        locale: p.locale,
        dtbd: dtbd.text,
        transaction_code: dtbd.transactionCode,
        ap_trans_id: 'pending',
        signature_profile: signatureProfile,
        geofence_policy: p.geofence ? JSON.stringify(p.geofence) : null,
        status: 'pending',
        created_at: now,
        expires_at: new Date(now.getTime() + (timeoutSeconds + (this.settings.graceSeconds ?? 10)) * 1000),
        next_poll_at: now,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyPending();
      throw err;
    }

    try {
      const accepted = await this.client.signAsync({
        msisdn,
        dtbd: dtbd.text,
        userLang: dtbd.userLang,
        signatureProfile,
        timeoutSeconds,
        ...(geofencing ? { geofencing: true } : {}),
      });
      await this.db(TABLE)
        .where({ id })
        .update({
          ap_trans_id: accepted.apTransId,
          mssp_trans_id: accepted.msspTransId,
          signature_profile: accepted.signatureProfile ?? signatureProfile,
        });
      this.log.info({ login: id, msisdn: maskMsisdn(msisdn), method }, 'mobile id request sent');
    } catch (err) {
      await this.fail(id, failureOf(err));
      throw err;
    }
    return this.get(id);
  }

  async get(id: string): Promise<LoginState> {
    const row = await this.row(id);
    if (!row) throw notFound();
    return toState(row);
  }

  /**
   * The state of a login, querying Mobile ID when the poll interval has passed. Whoever wins the
   * conditional update does the outbound call; everyone else reads the stored state.
   */
  async check(id: string): Promise<LoginState> {
    const row = await this.row(id);
    if (!row) throw notFound();
    if (row.status !== 'pending') return toState(row);
    const now = new Date();
    if (row.expires_at <= now) {
      await this.fail(row.id, { code: 'expired_transaction', messageKey: 'mobileid.fault.208' });
      return this.get(id);
    }
    if (!row.mssp_trans_id || row.next_poll_at > now) return toState(row);
    // Compare-and-swap on the poll time (by primary key): one caller per interval wins.
    const claimed = await this.db(TABLE)
      .where({ id, next_poll_at: row.next_poll_at })
      .update({ next_poll_at: new Date(now.getTime() + this.settings.pollIntervalMs), polls: this.db.raw('polls + 1') });
    if (!claimed) return toState(row);

    try {
      const status = await this.client.status({ msspTransId: row.mssp_trans_id, msisdn: row.msisdn });
      if (status.state === 'outstanding') return toState(row);
      await this.complete(row, status);
    } catch (err) {
      if (isFinal(err)) {
        await this.fail(row.id, failureOf(err));
      } else {
        this.log.warn({ login: id, code: (err as MobileIdError).code, detail: (err as MobileIdError).detail }, 'mobile id status query failed; will retry');
      }
    }
    return this.get(id);
  }

  private async complete(row: Row, signed: SignatureCompleted): Promise<void> {
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
        this.log.info({ login: row.id, reason: decision.reason, detail: decision.detail }, 'mobile id geofence refused');
        await this.fail(row.id, {
          code: decision.reason,
          messageKey: decision.messageKey,
          adviceKey: decision.adviceKey,
          providerCode: decision.geofencingErrorCode,
        });
        return;
      }
      location = locationOf(signed.geofencing);
    }
    const signatureProfile = row.signature_profile ?? SIGNATURE_PROFILES.any;
    const method = methodOfProfile(signatureProfile);
    const result: LoginSuccess = {
      msisdn: row.msisdn,
      serial: verified.mobileIdSerial.toUpperCase(),
      method,
      signatureProfile,
      amr: amrFor(method, location !== undefined),
      location,
      signedAt: now.toISOString(),
    };
    await this.db(TABLE)
      .where({ id: row.id, status: 'pending' })
      .update({ status: 'signed', result: JSON.stringify(result), completed_at: now });
    this.log.info({ login: row.id, method }, 'mobile id signature verified');
    if (this.settings.receipt && signed.msspTransId) {
      this.client
        .receipt({ msisdn: row.msisdn, msspTransId: signed.msspTransId, message: receiptText(row.locale), userLang: userLangFor(row.locale) })
        .catch((err: unknown) => this.log.warn({ login: row.id, code: (err as MobileIdError).code }, 'mobile id receipt failed'));
    }
  }

  /** The account step is done: the login now belongs to `accountId` and cannot be replayed. */
  async markCompleted(id: string, accountId: string): Promise<void> {
    await this.db(TABLE)
      .where({ id, status: 'signed' })
      .update({ status: 'completed', result: this.db.raw(`result || ?::jsonb`, [JSON.stringify({ accountId })]) });
  }

  /** The account step refused the login (e.g. a changed serial under the reject policy). */
  async refuse(id: string, error: LoginFailure): Promise<void> {
    await this.db(TABLE).where({ id, status: 'signed' }).update({ status: 'failed', error: JSON.stringify(error) });
    this.log.info({ login: id, code: error.code }, 'mobile id login refused');
  }

  /** A completed login of this interaction: who logged in and how. */
  async completed(id: string, interactionUid: string): Promise<(LoginSuccess & { accountId: string }) | undefined> {
    const row = await this.row(id);
    if (!row || row.status !== 'completed' || row.interaction_uid !== interactionUid) return undefined;
    return parse<LoginSuccess>(row.result) as (LoginSuccess & { accountId: string }) | undefined;
  }

  private async fail(id: string, error: LoginFailure): Promise<void> {
    await this.db(TABLE)
      .where({ id, status: 'pending' })
      .update({ status: 'failed', error: JSON.stringify(error), completed_at: new Date() });
    this.log.info({ login: id, code: error.code, providerCode: error.providerCode }, 'mobile id login failed');
  }

  private async row(id: string): Promise<Row | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    return (await this.db(TABLE).where({ id }).first()) as Row | undefined;
  }

  /** A pending login whose time is up no longer blocks the number. */
  private async expireStale(msisdn: string, now: Date): Promise<void> {
    await this.db(TABLE)
      .where({ msisdn, status: 'pending' })
      .andWhere('expires_at', '<=', now)
      .update({ status: 'failed', error: JSON.stringify({ code: 'expired_transaction', messageKey: 'mobileid.fault.208' }), completed_at: now });
  }

  private async checkRateLimits(msisdn: string, clientIp: string, now: Date): Promise<void> {
    // Count at most `max` recent rows: the cost stays bounded however busy a number or address is.
    const recent = (column: 'msisdn' | 'client_ip', value: string, limit: RateLimit) =>
      this.db
        .count<{ count: string | number }[]>('* as count')
        .from(
          this.db(TABLE)
            .select(this.db.raw('1'))
            .where(column, value)
            .andWhere('created_at', '>', new Date(now.getTime() - limit.windowSeconds * 1000))
            .limit(limit.max)
            .as('recent'),
        );
    const [byNumber, byIp] = await Promise.all([
      recent('msisdn', msisdn, this.settings.perNumber),
      recent('client_ip', clientIp, this.settings.perIp),
    ]);
    const limited = (rows: { count: string | number }[], limit: RateLimit) => Number(rows[0]?.count ?? 0) >= limit.max;
    if (limited(byNumber, this.settings.perNumber) || limited(byIp, this.settings.perIp)) {
      this.log.warn({ msisdn: maskMsisdn(msisdn), ip: clientIp }, 'mobile id rate limit reached');
      throw new AppError({
        code: 'rate_limited',
        status: 429,
        messageKey: 'mobileid.error.rate_limited',
        params: { minutes: Math.ceil(Math.max(this.settings.perNumber.windowSeconds, this.settings.perIp.windowSeconds) / 60) },
      });
    }
  }
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

function receiptText(locale: string): string {
  return { de: 'Sie sind angemeldet.', fr: 'Vous êtes connecté.', it: 'Accesso effettuato.' }[locale] ?? 'You are logged in.';
}

function alreadyPending(): AppError {
  return new AppError({ code: 'already_pending', status: 409, messageKey: 'mobileid.error.already_pending' });
}

function notFound(): AppError {
  return new AppError({ code: 'login_not_found', status: 404, messageKey: 'error.session_expired' });
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}
