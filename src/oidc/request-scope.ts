/**
 * What one request of the token, introspection or userinfo endpoint has read and is about to write
 * (see src/oidc/adapter.ts). Lives for the request only: nothing here is shared between requests,
 * so every instance behind a load balancer still reads the database afresh for each request.
 */
import type { Context } from 'koa';
import Provider, { type AdapterPayload } from 'oidc-provider';

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

export interface ScopeKind {
  /** Writes wait for the response and are committed together (the token endpoint). */
  deferWrites: boolean;
  /** A token found is read with the account it is about (endpoints that compute claims). */
  readSubject: boolean;
}

export class RequestScope implements ScopeKind {
  readonly deferWrites: boolean;
  readonly readSubject: boolean;
  /** Upserts and consumptions waiting for the response, by model and id. */
  readonly upserts = new Map<Key, PendingUpsert>();
  readonly consumes = new Map<Key, { model: string; id: string; at: Date }>();
  /** Rows read in this request (grants read along with their tokens), by model and id. */
  readonly read = new Map<Key, AdapterPayload | undefined>();
  /** Subjects read along with their tokens, by account id and grant id. */
  readonly subjects = new Map<Key, TokenSubjectRow>();

  constructor(kind: ScopeKind) {
    this.deferWrites = kind.deferWrites;
    this.readSubject = kind.readSubject;
  }

  /** Keeps an upsert for the commit; a later read in this request sees it. */
  defer(upsert: PendingUpsert): void {
    const key = keyOf(upsert.model, upsert.id);
    this.upserts.set(key, upsert);
    this.consumes.delete(key);
    this.read.set(key, upsert.payload);
  }

  /** The writes to commit: a row both saved and consumed in this request is saved consumed. */
  writes(): { consumes: { model: string; id: string; at: Date }[]; upserts: PendingUpsert[] } {
    const consumes: { model: string; id: string; at: Date }[] = [];
    const upserts = new Map(this.upserts);
    for (const [key, c] of this.consumes) {
      const saved = upserts.get(key);
      if (saved) upserts.set(key, { ...saved, consumedAt: c.at });
      else consumes.push(c);
    }
    return { consumes, upserts: [...upserts.values()] };
  }

  forget(model: string, id: string): void {
    const key = keyOf(model, id);
    this.upserts.delete(key);
    this.consumes.delete(key);
    this.read.delete(key);
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
