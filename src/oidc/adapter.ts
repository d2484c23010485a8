/**
 * oidc-provider storage adapter: one table for every model (see migration 001), with named
 * statements (src/db/statements.ts). Every request of a login reads and writes here, never process
 * memory, so any instance behind a load balancer can serve the next request.
 *
 * The token endpoints are the hot path (a refresh is a read of the token, of its grant and of the
 * account, then three writes), and every login passes the authorization endpoint twice, so within
 * a request opened by `providerRequestScope`:
 * - finding a token reads its grant in the same statement, and the grant is then served from the
 *   request instead of a second read; so is the session of a token that expires with it (a code,
 *   tokens without offline access), which oidc-provider looks up by uid; at the token and userinfo
 *   endpoints the same statement reads the account the token is about (src/oidc/token-subject.ts),
 *   and at the authorization endpoint the account of the session, or of the interaction's login
 *   being resumed, is read with it;
 * - at the token endpoint, writes (consuming the code or refresh token, saving the new tokens) are
 *   collected and committed together just before a successful response is sent. The consumption
 *   is conditional: when another request consumed the same code or refresh token in the meantime,
 *   nothing is written, the grant is revoked (as for any reuse) and the client gets
 *   `invalid_grant`. A failed request writes nothing, so its refresh token stays usable.
 * - at the authorization endpoint, saves and removals (the interaction, the session, the grant,
 *   the code, and the login behind the grant) are committed together just before the response
 *   (a redirect) is sent; when that fails, the browser gets an error page and keeps its cookies,
 *   so the same step can be tried again. An interaction ends once: of two resumptions of the same
 *   login at once, the one committed second writes nothing and gets the "already completed" page.
 * Those reads and commits are batched across concurrent requests (src/oidc/token-batches.ts), and
 * so is every other lookup by id but a client's (e.g. an interaction, read at each step of a login).
 */
import type { Context, Middleware } from 'koa';
import { errors as oidcErrors, type Adapter, type AdapterPayload } from 'oidc-provider';

import type { Db } from '../db/index.js';
import { run, statement, type Statement, type Write } from '../db/statements.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { answerUnavailable } from '../web/unavailable.js';
import { sweepGrantLogins } from './grant-logins.js';
import { currentScope, keyOf, RequestScope, runInScope } from './request-scope.js';
import { saveRow, saveWrite, tokenBatches, type TokenRow } from './token-batches.js';
import { keepTokenSubject, loginAccountId, type TokenSubjectRow } from './token-subject.js';

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

const LIVE = '(expires_at is null or expires_at > $2)';
const SQL = {
  find: statement('oidc_find', `select payload, consumed_at from ${TABLE} where model = $1 and id = $3 and ${LIVE}`),
  findByUid: statement('oidc_find_by_uid', `select payload, consumed_at from ${TABLE} where model = $1 and uid = $3 and ${LIVE} limit 1`),
  findByUserCode: statement('oidc_find_by_user_code', `select payload, consumed_at from ${TABLE} where model = $1 and user_code = $3 and ${LIVE} limit 1`),
  consume: statement('oidc_consume', `update ${TABLE} set consumed_at = $3 where model = $1 and id = $2`),
  destroy: statement('oidc_destroy', `delete from ${TABLE} where model = $1 and id = $2`),
  revokeByGrantId: statement('oidc_revoke_by_grant', `delete from ${TABLE} where grant_id = $1`),
};

const subjectOf = (row: TokenRow): TokenSubjectRow => ({
  subject_account: row.subject_account ?? null,
  subject_verifications: row.subject_verifications ?? null,
  subject_serial: row.subject_serial ?? null,
  subject_login: row.subject_login ?? null,
});

/** Models whose rows carry a grant id and whose grant is read right after them. */
const GRANT_BOUND = new Set(['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest']);
/** Models read with the account of their login where the account is then loaded (the authorization endpoint). */
const LOGIN_BOUND = new Set(['Session', 'Interaction']);

export interface ScopeOptions {
  /** Path of the token endpoint, whose writes are committed together (default `/token`). */
  tokenPath?: string;
  /** Path of the userinfo endpoint (default `/me`). */
  userinfoPath?: string;
  /** Path of the authorization endpoint, whose writes are committed together too (default `/auth`). */
  authorizationPath?: string;
  /** A commit failed (the token endpoint answers `server_error`). */
  onError?: (err: unknown, ctx: Context) => void;
  /**
   * A commit of the authorization endpoint failed: the browser must not be sent on with a code
   * or an interaction that was not saved. Answers the request (an error page).
   */
  onAuthorizationError: (err: unknown, ctx: Context) => void;
  /** A code or refresh token was consumed by two requests at once; its grants were revoked. */
  onConflict?: (grantIds: string[]) => void;
}

/**
 * Koa middleware giving each request of the token, introspection, revocation, userinfo and
 * authorization endpoints its scope (see the top of this file). Mounted before the provider's
 * own routes.
 */
export function providerRequestScope(db: Db, opts: ScopeOptions): Middleware {
  const tokenPath = opts.tokenPath ?? '/token';
  const userinfoPath = opts.userinfoPath ?? '/me';
  const authorizationPath = opts.authorizationPath ?? '/auth';
  const batches = tokenBatches(db);
  return async (ctx, next) => {
    if (ctx.path === authorizationPath || ctx.path.startsWith(`${authorizationPath}/`)) {
      // The authorization request and its resumption after the login: the interaction, the
      // session, the grant and the code go to the database in one statement before the browser
      // is sent on. Written whatever the response, as the provider would have written them.
      const scope = new RequestScope({ deferWrites: 'saves', readSubject: true });
      await runInScope(ctx, scope, next);
      const writes = scope.writes();
      if (!writes.upserts.length && !writes.destroys?.length && !writes.grantLogins?.length) return;
      try {
        // Not committed: the interaction this request finishes was finished by another request
        // of the same browser at the same moment (which got the code), as oidc-provider says when
        // an interaction is resumed twice one after the other.
        if (!(await batches.commit(writes))) throw new oidcErrors.SessionNotFound('interaction session not found');
      } catch (err) {
        opts.onAuthorizationError(err, ctx);
      }
      return;
    }
    // The subject is read where claims are computed.
    const claims = ctx.path === tokenPath || ctx.path === userinfoPath;
    if (!claims && !ctx.path.startsWith(`${tokenPath}/`)) return next();
    const scope = new RequestScope({ deferWrites: ctx.method === 'POST' && ctx.path === tokenPath ? 'all' : false, readSubject: claims });
    await runInScope(ctx, scope, next);
    if (!scope.deferWrites || ctx.status < 200 || ctx.status >= 300) return;
    const writes = scope.writes();
    if (!writes.consumes.length && !writes.upserts.length) return;
    let committed: boolean;
    try {
      committed = await batches.commit(writes);
    } catch (err) {
      if (isDatabaseUnavailable(err)) answerUnavailable(ctx);
      else {
        ctx.status = 500;
        ctx.body = { error: 'server_error', error_description: 'oops! something went wrong' };
      }
      opts.onError?.(err, ctx);
      return;
    }
    if (!committed) {
      const grants = scope.consumedGrants();
      await Promise.all(grants.map((grantId) => run(db, SQL.revokeByGrantId, [grantId])));
      opts.onConflict?.(grants);
      ctx.status = 400;
      ctx.body = { error: 'invalid_grant', error_description: 'grant request is invalid' };
    }
  };
}

export interface AdapterOptions {
  /** Seconds a Client found in the database is reused before it is read again (0 = off). */
  clientCacheSeconds?: number;
}

/** Returns the adapter class oidc-provider instantiates once per model name. */
export function createAdapter(db: Db, opts: AdapterOptions = {}): new (name: string) => Adapter {
  const clientCacheMs = (opts.clientCacheSeconds ?? 0) * 1000;
  const clientCache = new Map<string, { at: number; payload: AdapterPayload | undefined }>();
  const batches = tokenBatches(db);

  const findOne = async (stmt: Statement, model: string, value: string): Promise<AdapterPayload | undefined> => {
    const { rows } = await run<Row>(db, stmt, [model, new Date(), value]);
    return toPayload(rows[0]);
  };

  /** A token with its grant (and subject), kept in the request for the reads that follow. */
  const findToken = async (scope: RequestScope, model: string, id: string): Promise<AdapterPayload | undefined> => {
    const row = await batches.find({ model, id, subject: scope.readSubject ? 'token' : undefined });
    const payload = toPayload(row);
    if (row && payload?.grantId) {
      const grant = row.grant_payload ? toPayload({ payload: row.grant_payload, consumed_at: row.grant_consumed_at }) : undefined;
      scope.read.set(keyOf('Grant', payload.grantId), grant);
    }
    if (row && payload?.expiresWithSession === true && typeof payload.sessionUid === 'string') {
      const session = row.session_payload ? toPayload({ payload: row.session_payload, consumed_at: row.session_consumed_at }) : undefined;
      scope.sessionsByUid.set(payload.sessionUid, session);
    }
    if (row && scope.readSubject && typeof payload?.accountId === 'string') keepTokenSubject(payload.accountId, payload.grantId, subjectOf(row));
    return payload;
  };

  /** A session or an interaction with the account it is about, kept in the request for `findAccount`. */
  const findWithSubject = async (model: string, id: string): Promise<AdapterPayload | undefined> => {
    const row = await batches.find({ model, id, subject: 'login' });
    const payload = toPayload(row);
    const accountId = loginAccountId(model, payload);
    if (row && accountId) keepTokenSubject(accountId, undefined, subjectOf(row));
    return payload;
  };

  return class KnexAdapter implements Adapter {
    readonly name: string;

    constructor(name: string) {
      this.name = name;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const scope = currentScope();
      const row = { model: this.name, id, payload, expiresIn, consumedAt: null };
      if (scope?.deferWrites) {
        scope.defer(row);
        return;
      }
      await saveRow(db, row);
      if (this.name === 'Client') clientCache.delete(id);
      scope?.read.delete(keyOf(this.name, id));
      scope?.changed(this.name);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.name === 'Client' && clientCacheMs > 0) {
        const hit = clientCache.get(id);
        if (hit && Date.now() - hit.at < clientCacheMs) return hit.payload;
      }
      const scope = currentScope();
      const key = keyOf(this.name, id);
      if (scope?.read.has(key)) {
        const payload = scope.read.get(key);
        return payload && scope.consumes.has(key) ? { ...payload, consumed: true } : payload;
      }
      const payload =
        scope && GRANT_BOUND.has(this.name)
          ? await findToken(scope, this.name, id)
          : scope?.readSubject && LOGIN_BOUND.has(this.name)
            ? await findWithSubject(this.name, id)
            : this.name === 'Client'
              ? await findOne(SQL.find, this.name, id)
              : // Batched with the other requests' lookups of the moment (an interaction's pages read it at each step).
                toPayload(await batches.find({ model: this.name, id }));
      if (scope) scope.read.set(key, payload);
      if (this.name === 'Client' && clientCacheMs > 0) {
        if (clientCache.size > 1000) clientCache.clear();
        clientCache.set(id, { at: Date.now(), payload });
      }
      return payload;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return findOne(SQL.findByUserCode, this.name, userCode);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const scope = currentScope();
      if (this.name === 'Session' && scope?.sessionsByUid.has(uid)) return scope.sessionsByUid.get(uid);
      return findOne(SQL.findByUid, this.name, uid);
    }

    async consume(id: string): Promise<void> {
      const scope = currentScope();
      const key = keyOf(this.name, id);
      // At the authorization endpoint a row is consumed at once, unless it is still to be saved.
      if (scope?.deferWrites === 'all' || (scope?.deferWrites === 'saves' && scope.upserts.has(key))) {
        scope.consumes.set(key, { model: this.name, id, at: new Date() });
        return;
      }
      await run(db, SQL.consume, [this.name, id, new Date()]);
      scope?.read.delete(keyOf(this.name, id));
    }

    async destroy(id: string): Promise<void> {
      const scope = currentScope();
      if (scope?.deferWrites === 'saves') {
        scope.deferDestroy(this.name, id);
        return;
      }
      scope?.forget(this.name, id);
      await run(db, SQL.destroy, [this.name, id]);
      if (this.name === 'Client') clientCache.delete(id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      currentScope()?.forgetGrant(grantId);
      await run(db, SQL.revokeByGrantId, [grantId]);
    }
  };
}

/** A model instance of oidc-provider's (an Interaction, a Session…): what `save` needs of it. */
interface SavedModel {
  save(ttl: number): Promise<unknown>;
}

/**
 * What `model.save(ttl)` would write, as a write to commit with others (`runWrites`): the model
 * goes through its own `save` (id, expiry, payload as oidc-provider makes them), with an adapter
 * that keeps the row instead of writing it. Nothing is written until the caller commits it.
 */
export async function saveWriteOf(model: SavedModel, ttl: number): Promise<Write> {
  let write: Write | undefined;
  const name = (model.constructor as { name: string }).name;
  const keeper: Pick<Adapter, 'upsert'> = {
    async upsert(id, payload, expiresIn) {
      write = saveWrite({ model: name, id, payload, expiresIn: expiresIn ?? 0, consumedAt: null });
    },
  };
  Object.defineProperty(model, 'adapter', { value: keeper, configurable: true });
  try {
    await model.save(ttl);
  } finally {
    delete (model as { adapter?: unknown }).adapter;
  }
  if (!write) throw new Error(`${name}.save wrote nothing`);
  return write;
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
