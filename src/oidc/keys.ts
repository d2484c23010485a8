/**
 * Token signing keys: generated on first start (RS256 and ES256), stored in the database with the
 * private part encrypted under KEY_ENCRYPTION_KEY, published in the JWKS, rotated by command.
 *
 * A rotated key stops signing at once (it is marked `key_ops: ["verify"]`) but stays published
 * until every token it signed has expired, so relying parties keep verifying them.
 */
import crypto from 'node:crypto';

import { exportJWK, generateKeyPair, calculateJwkThumbprint, type JWK } from 'jose';

import type { Db } from '../db/index.js';

const ALGS = ['RS256', 'ES256'] as const;
type Alg = (typeof ALGS)[number];

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: JWK | string;
  private_jwk_encrypted: string;
  created_at: Date;
  retired_at: Date | null;
  expires_at: Date | null;
}

function aesKey(secret: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, 'servicecore-login', 'signing-key-encryption', 32));
}

export function encryptJwk(jwk: JWK, secret: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', aesKey(secret), iv);
  const ct = Buffer.concat([cipher.update(JSON.stringify(jwk), 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

export function decryptJwk(blob: string, secret: string): JWK {
  const [version, iv, ct, tag] = blob.split('.');
  if (version !== 'v1' || !iv || !ct || !tag) throw new Error('unknown signing key encryption format');
  const decipher = crypto.createDecipheriv('aes-256-gcm', aesKey(secret), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    const pt = Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
    return JSON.parse(pt.toString('utf8')) as JWK;
  } catch {
    throw new Error('signing keys cannot be decrypted: KEY_ENCRYPTION_KEY differs from the one they were stored with');
  }
}

async function generate(alg: Alg): Promise<{ kid: string; publicJwk: JWK; privateJwk: JWK }> {
  const { publicKey, privateKey } =
    alg === 'RS256'
      ? await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
      : await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
    privateJwk: { ...privateJwk, kid, alg, use: 'sig' },
  };
}

async function insertNewKeys(trx: Db, secret: string): Promise<void> {
  for (const alg of ALGS) {
    const { kid, publicJwk, privateJwk } = await generate(alg);
    await trx('signing_keys').insert({
      kid,
      alg,
      public_jwk: JSON.stringify(publicJwk),
      private_jwk_encrypted: encryptJwk(privateJwk, secret),
    });
  }
}

/** Serialise key generation across instances starting at the same time. */
async function withKeyLock<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [727_001]);
    return fn(trx as unknown as Db);
  });
}

/** Make sure active keys exist for every algorithm; create them on first start. */
export async function ensureKeys(db: Db, secret: string): Promise<void> {
  await withKeyLock(db, async (trx) => {
    const active = (await trx('signing_keys').whereNull('retired_at').select('alg')) as { alg: string }[];
    const have = new Set(active.map((r) => r.alg));
    if (ALGS.every((a) => have.has(a))) return;
    await insertNewKeys(trx, secret);
  });
}

/**
 * Retire the active keys and create new ones. The retired keys stay published for
 * `keepPublishedSeconds` (the longest lifetime of a token they may have signed).
 */
export async function rotateKeys(db: Db, secret: string, keepPublishedSeconds: number): Promise<{ retired: string[]; created: string[] }> {
  return withKeyLock(db, async (trx) => {
    const now = new Date();
    const retiring = (await trx('signing_keys').whereNull('retired_at').pluck('kid')) as string[];
    await trx('signing_keys')
      .whereIn('kid', retiring)
      .update({ retired_at: now, expires_at: new Date(now.getTime() + keepPublishedSeconds * 1000) });
    await insertNewKeys(trx, secret);
    const created = (await trx('signing_keys').whereNull('retired_at').pluck('kid')) as string[];
    return { retired: retiring, created };
  });
}

/**
 * The private JWKS for oidc-provider: active keys first (they sign), then retired keys still
 * published (verify only). Expired keys are removed from the table.
 */
export async function loadJwks(db: Db, secret: string, now = new Date()): Promise<{ keys: JWK[] }> {
  await db('signing_keys').where('expires_at', '<', now).delete();
  const rows = (await db('signing_keys')
    .select('*')
    .orderByRaw('retired_at is not null, created_at desc')) as SigningKeyRow[];
  const keys = rows.map((row) => {
    const jwk = decryptJwk(row.private_jwk_encrypted, secret);
    return row.retired_at ? { ...jwk, key_ops: ['verify'] } : jwk;
  });
  return { keys };
}

/**
 * The public JWKS: active keys first, then retired keys still published (verify only); the same
 * keys, in the same form, as oidc-provider publishes from `loadJwks`.
 */
export async function publicJwks(db: Db, now = new Date()): Promise<{ keys: JWK[] }> {
  const rows = (await db('signing_keys')
    .select('public_jwk', 'retired_at')
    .where((q) => q.whereNull('expires_at').orWhere('expires_at', '>=', now))
    .orderByRaw('retired_at is not null, created_at desc')) as Pick<SigningKeyRow, 'public_jwk' | 'retired_at'>[];
  const keys = rows.map((row) => {
    const jwk = typeof row.public_jwk === 'string' ? (JSON.parse(row.public_jwk) as JWK) : row.public_jwk;
    return row.retired_at ? { ...jwk, key_ops: ['verify'] } : jwk;
  });
  return { keys };
}

export interface LiveJwks {
  /** The JWKS as last read (undefined until the first read succeeded). */
  current(): { keys: JWK[] } | undefined;
  /** Read it again now. */
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * The JWKS every instance publishes, read again from the database every `intervalMs`: keys that a
 * rotation created are published by every instance within that time, not only by the instances
 * restarted since (which sign with them at once). A failed read keeps the last JWKS.
 */
export function liveJwks(db: Db, intervalMs: number, onError: (err: unknown) => void): LiveJwks {
  let jwks: { keys: JWK[] } | undefined;
  const refresh = async () => {
    try {
      jwks = await publicJwks(db);
    } catch (err) {
      onError(err);
    }
  };
  const timer = setInterval(() => void refresh(), intervalMs);
  timer.unref();
  return { current: () => jwks, refresh, stop: () => clearInterval(timer) };
}

export async function listKeys(db: Db): Promise<Pick<SigningKeyRow, 'kid' | 'alg' | 'created_at' | 'retired_at' | 'expires_at'>[]> {
  return db('signing_keys').select('kid', 'alg', 'created_at', 'retired_at', 'expires_at').orderBy('created_at', 'desc');
}
