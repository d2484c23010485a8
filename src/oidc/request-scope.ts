/**
 * What one request of the token, introspection, userinfo or authorization endpoint has read and is
 * about to write (see src/oidc/adapter.ts). Lives for the request only: nothing here is shared
 * between requests, so every instance behind a load balancer still reads the database afresh for
 * each request.
 */
import type { Context } from 'koa';
import Provider, { type AdapterPayload } from 'oidc-provider';

import type { Commit, Consume, Destroy } from './token-batches.js';
import type { TokenSubjectRow } from './token-subject.js';

export type Key = string;
export const keyOf = (model: string, id: string): Key => `${model}\u0000${id}`;

export interface PendingUpsert {
  model: string;
  id: string;
  payload: AdapterPayload;
  expiresIn: number;
  consumedAt: Date | null;
}

/** The login behind a grant (src/oidc/grant-logins.ts), written with the grant. */
/** What the login behind a grant proved besides its serial (src/oidc/grant-logins.ts). */
export interface GrantLoginDetails {
  /** The Levels of Trust whose geofencing thresholds the login's location met. */
  geofencedLevels?: string[];
  /** The location it reported (released with the `mobileid_location` scope). */
  location?: { country: string; accuracy: number; locationConfidence: number; deviceConfidence: number; timestamp: string };
}

export interface PendingGrantLogin {
  grantId: string;
  sessionUid: string;
  serial: string | null;
  details?: GrantLoginDetails;
  at: Date;
}

export interface ScopeKind {
  /**
   * Writes that wait for the response and are committed together: `all` at the token endpoint
   * (a code or refresh token is consumed only if no other request consumed it first); `saves` at
   * the authorization endpoint (saves and removals; a consumption is written at once).
   */
  deferWrites: 'all' | 'saves' | false;
  /**
   * A token found is read with the account it is about (endpoints that compute claims); so are a
   * session and an interaction (the authorization endpoint, which loads the session's account).
   */
  readSubject: boolean;
}

export class RequestScope implements ScopeKind {
  readonly deferWrites: ScopeKind['deferWrites'];
  readonly readSubject: boolean;
  /** Upserts, consumptions and removals waiting for the response, by model and id. */
  readonly upserts = new Map<Key, PendingUpsert>();
  readonly consumes = new Map<Key, Consume>();
  readonly destroys = new Map<Key, Destroy>();
  /** Logins behind grants waiting for the response, by grant id. */
  readonly grantLogins = new Map<string, PendingGrantLogin>();
  /** Rows read in this request (grants read along with their tokens), by model and id. */
  readonly read = new Map<Key, AdapterPayload | undefined>();
  /** Subjects read along with their tokens, by account id and grant id. */
  readonly subjects = new Map<Key, TokenSubjectRow>();
  /** Sessions read along with the tokens that expire with them, by session uid (undefined: none). */
  readonly sessionsByUid = new Map<string, AdapterPayload | undefined>();

  constructor(kind: ScopeKind) {
    this.deferWrites = kind.deferWrites;
    this.readSubject = kind.readSubject;
  }

  /** Keeps an upsert for the commit; a later read in this request sees it. */
  defer(upsert: PendingUpsert): void {
    const key = keyOf(upsert.model, upsert.id);
    this.upserts.set(key, upsert);
    this.consumes.delete(key);
    this.destroys.delete(key);
    this.read.set(key, upsert.payload);
    this.changed(upsert.model);
  }

  /** Keeps a removal for the commit; a later read in this request finds nothing. */
  deferDestroy(model: string, id: string): void {
    const key = keyOf(model, id);
    this.upserts.delete(key);
    this.consumes.delete(key);
    this.destroys.set(key, { model, id });
    this.read.set(key, undefined);
    this.changed(model);
  }

  /** A row of `model` was saved or removed in this request: sessions read by uid may be stale. */
  changed(model: string): void {
    if (model === 'Session') this.sessionsByUid.clear();
  }

  /** The writes to commit: a row both saved and consumed in this request is saved consumed. */
  writes(): Commit {
    const consumes: Consume[] = [];
    const upserts = new Map(this.upserts);
    for (const [key, c] of this.consumes) {
      const saved = upserts.get(key);
      if (saved) upserts.set(key, { ...saved, consumedAt: c.at });
      else consumes.push(c);
    }
    return { consumes, upserts: [...upserts.values()], destroys: [...this.destroys.values()], grantLogins: [...this.grantLogins.values()] };
  }

  forget(model: string, id: string): void {
    const key = keyOf(model, id);
    this.upserts.delete(key);
    this.consumes.delete(key);
    this.read.delete(key);
    this.changed(model);
  }

  forgetGrant(grantId: string): void {
    for (const [key, u] of this.upserts) if (u.payload.grantId === grantId) this.upserts.delete(key);
    for (const [key, payload] of this.read) if (payload?.grantId === grantId || key === keyOf('Grant', grantId)) this.read.delete(key);
  }

  /** The grants of the rows this request consumes (to revoke when another request got there first). */
  consumedGrants(): string[] {
    const grants = new Set<string>();
    for (const key of this.consumes.keys()) {
      const grantId = this.read.get(key)?.grantId;
      if (grantId) grants.add(grantId);
    }
    return [...grants];
  }
}

/**
 * The scope of each request, found through the request oidc-provider is serving (`Provider.ctx`,
 * its own async-local storage). A storage of our own would make every promise of every request
 * carry one more store.
 */
const scopes = new WeakMap<Context, RequestScope>();

export function currentScope(): RequestScope | undefined {
  const ctx = Provider.ctx;
  return ctx ? scopes.get(ctx) : undefined;
}

/** Runs `fn` (the provider's handling of `ctx`) with `scope` as the request's scope. */
export function runInScope<T>(ctx: Context, scope: RequestScope, fn: () => Promise<T>): Promise<T> {
  scopes.set(ctx, scope);
  return fn();
}
