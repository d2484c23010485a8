/**
 * The identification partner's callback: a signed JWT. Accepted only when the signature verifies
 * against the configured keys (JWKS URL and/or PEM file), `iss` is the configured issuer, `aud`
 * is our callback URL, it has not expired, lives at most an hour, and its `jti` was never seen
 * (the replay store is the database, shared by all instances).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';

import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

import { ConfigError } from '../../errors.js';
import { SrsError } from './errors.js';
import { parseIdentificationData, type ProvenIdentity } from './responses.js';
import { parseStatus, type SrsStatus } from './statuses.js';

/** Asymmetric algorithms only: never `none`, never a shared secret. */
export const CALLBACK_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA'];
const MAX_LIFETIME_SECONDS = 3600;
const CLOCK_TOLERANCE_SECONDS = 30;

export interface CallbackClaims {
  jti: string;
  refId: string;
  /** The status the partner reports; undefined when it names one we do not know. */
  status: SrsStatus | undefined;
  identity: ProvenIdentity | undefined;
  evidenceId: string | undefined;
  expiresAt: Date;
}

/** Remembers callback ids until they expire; `false` when the id was seen before. */
export interface ReplayStore {
  remember(jti: string, refId: string, expiresAt: Date): Promise<boolean>;
}

export type KeySource = JWTVerifyGetKey | crypto.KeyObject;

/** The public key in a PEM file: SPKI public key or X.509 certificate. */
export function publicKeyFromPem(pem: string): crypto.KeyObject {
  return pem.includes('BEGIN CERTIFICATE') ? new crypto.X509Certificate(pem).publicKey : crypto.createPublicKey(pem);
}

export function keySources(opts: { jwksUrl?: string | undefined; keyFile?: string | undefined; timeoutMs: number }): KeySource[] {
  const sources: KeySource[] = [];
  if (opts.jwksUrl) {
    sources.push(createRemoteJWKSet(new URL(opts.jwksUrl), { timeoutDuration: opts.timeoutMs, cooldownDuration: 30_000, cacheMaxAge: 600_000 }));
  }
  if (opts.keyFile) {
    try {
      sources.push(publicKeyFromPem(fs.readFileSync(opts.keyFile, 'utf8')));
    } catch (err) {
      throw new ConfigError(`Invalid configuration: SRS_CALLBACK_KEY_FILE is not a readable PEM public key or certificate (${(err as NodeJS.ErrnoException).code ?? 'error'}: ${opts.keyFile})`);
    }
  }
  if (!sources.length) throw new ConfigError('Invalid configuration: SRS_CALLBACK_JWKS_URL or SRS_CALLBACK_KEY_FILE is required to accept SRS callbacks');
  return sources;
}

function invalid(detail: string, cause?: unknown): SrsError {
  return new SrsError({ code: 'callback_invalid', detail: `callback: ${detail}`, cause });
}

export class CallbackVerifier {
  constructor(
    private readonly o: {
      issuer: string;
      /** Our callback URL: the `aud` the partner must address. */
      audience: string;
      keys: KeySource[];
      replay: ReplayStore;
      now?: () => Date;
    },
  ) {}

  async verify(token: string): Promise<CallbackClaims> {
    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token) || token.length > 16_384) throw invalid('not a compact JWS');
    const payload = await this.verifySignature(token);
    const claims = this.claims(payload);
    if (!(await this.o.replay.remember(claims.jti, claims.refId, claims.expiresAt))) {
      throw new SrsError({ code: 'callback_replayed', detail: 'callback: jti already used' });
    }
    return claims;
  }

  private async verifySignature(token: string): Promise<JWTPayload> {
    let last: unknown;
    for (const key of this.o.keys) {
      try {
        const options = {
          issuer: this.o.issuer,
          audience: this.o.audience,
          algorithms: CALLBACK_ALGORITHMS,
          requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          currentDate: (this.o.now ?? (() => new Date()))(),
        };
        const { payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
        return payload;
      } catch (err) {
        last = err;
        // Another configured key may have signed it; claim and expiry failures are final.
        if (!(err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSNoMatchingKey)) break;
      }
    }
    throw this.mapError(last);
  }

  private mapError(err: unknown): SrsError {
    if (err instanceof SrsError) return err;
    if (err instanceof joseErrors.JWTExpired) return new SrsError({ code: 'callback_expired', detail: 'callback: expired', cause: err });
    if (err instanceof joseErrors.JWKSTimeout || (err instanceof joseErrors.JOSEError && err.code === 'ERR_JWKS_TIMEOUT')) {
      return new SrsError({ code: 'unavailable', detail: 'callback: JWKS fetch timed out', cause: err });
    }
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      if (err.claim === 'nbf' || err.claim === 'iat') return new SrsError({ code: 'callback_expired', detail: `callback: ${err.claim} not acceptable`, cause: err });
      return invalid(`claim ${err.claim} ${err.reason}`, err);
    }
    if (err instanceof joseErrors.JOSEError) return invalid(err.code, err);
    if (err instanceof TypeError || (err instanceof Error && /fetch|ECONN|network/i.test(err.message))) {
      return new SrsError({ code: 'unavailable', detail: 'callback: JWKS not reachable', cause: err });
    }
    return invalid('verification failed', err);
  }

  private claims(p: JWTPayload): CallbackClaims {
    const now = Math.floor((this.o.now ?? (() => new Date()))().getTime() / 1000);
    const exp = p.exp!;
    const iat = p.iat!;
    if (iat > now + CLOCK_TOLERANCE_SECONDS) throw new SrsError({ code: 'callback_expired', detail: 'callback: issued in the future' });
    if (exp - iat > MAX_LIFETIME_SECONDS) throw invalid('lifetime longer than an hour');
    const jti = typeof p.jti === 'string' && /^[\x21-\x7e]{8,255}$/.test(p.jti) ? p.jti : undefined;
    if (!jti) throw invalid('jti missing or unusable');
    const refId = typeof p.refId === 'string' && /^[\w.-]{1,64}$/.test(p.refId) ? p.refId : undefined;
    if (!refId) throw invalid('refId missing');
    return {
      jti,
      refId,
      status: parseStatus(p.status),
      identity: parseIdentificationData(p.identificationData),
      evidenceId: typeof p.evidenceId === 'string' && p.evidenceId ? p.evidenceId.slice(0, 255) : undefined,
      expiresAt: new Date(exp * 1000),
    };
  }
}
