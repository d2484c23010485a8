/**
 * oidc-provider storage adapter over knex: one table for every model (see migration 001).
 * Every request of a login reads and writes here, never process memory, so any instance behind a
 * load balancer can serve the next request.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

import type { Db } from '../db/index.js';
import { sweepGrantLogins } from './grant-logins.js';

const TABLE = 'oidc_payloads';

interface Row {
  payload: AdapterPayload | string;
  consumed_at: Date | string | null;
}

function toPayload(row: Row | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  const payload = typeof row.payload === 'string' ? (JSON.parse(row.payload) as AdapterPayload) : row.payload;
  return row.consumed_at ? { ...payload, consumed: true } : payload;
}

export interface AdapterOptions {
  /** Seconds a Client found in the database is reused before it is read again (0 = off). */
  clientCacheSeconds?: number;
}

/** Returns the adapter class oidc-provider instantiates once per model name. */
export function createAdapter(db: Db, opts: AdapterOptions = {}): new (name: string) => Adapter {
  const clientCacheMs = (opts.clientCacheSeconds ?? 0) * 1000;
  const clientCache = new Map<string, { at: number; payload: AdapterPayload | undefined }>();

  return class KnexAdapter implements Adapter {
    readonly name: string;

    constructor(name: string) {
      this.name = name;
    }

    private notExpired() {
      return db.raw('(expires_at is null or expires_at > ?)', [new Date()]);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const row = {
        model: this.name,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        uid: payload.uid ?? null,
        user_code: payload.userCode ?? null,
        expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        consumed_at: null,
      };
      await db(TABLE).insert(row).onConflict(['model', 'id']).merge();
      if (this.name === 'Client') clientCache.delete(id);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.name === 'Client' && clientCacheMs > 0) {
        const hit = clientCache.get(id);
        if (hit && Date.now() - hit.at < clientCacheMs) return hit.payload;
      }
      const row = (await db(TABLE)
        .select('payload', 'consumed_at')
        .where({ model: this.name, id })
        .andWhere(this.notExpired())
        .first()) as Row | undefined;
      const payload = toPayload(row);
      if (this.name === 'Client' && clientCacheMs > 0) {
        if (clientCache.size > 1000) clientCache.clear();
        clientCache.set(id, { at: Date.now(), payload });
      }
      return payload;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const row = (await db(TABLE)
        .select('payload', 'consumed_at')
        .where({ model: this.name, user_code: userCode })
        .andWhere(this.notExpired())
        .first()) as Row | undefined;
      return toPayload(row);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const row = (await db(TABLE)
        .select('payload', 'consumed_at')
        .where({ model: this.name, uid })
        .andWhere(this.notExpired())
        .first()) as Row | undefined;
      return toPayload(row);
    }

    async consume(id: string): Promise<void> {
      await db(TABLE).where({ model: this.name, id }).update({ consumed_at: new Date() });
    }

    async destroy(id: string): Promise<void> {
      await db(TABLE).where({ model: this.name, id }).delete();
      if (this.name === 'Client') clientCache.delete(id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db(TABLE).where({ grant_id: grantId }).delete();
    }
  };
}

/** Delete rows whose expiry has passed. Returns the number removed. */
export async function sweepExpired(db: Db, now = new Date()): Promise<number> {
  return db(TABLE).where('expires_at', '<', now).delete();
}

/** Run `sweepExpired` every `intervalSeconds` until the returned stop function is called. */
export function startSweeper(
  db: Db,
  intervalSeconds: number,
  onError: (err: unknown) => void,
): () => void {
  const timer = setInterval(() => {
    sweepExpired(db)
      .then(() => sweepGrantLogins(db))
      .catch(onError);
  }, intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
