/**
 * Who is calling the admin console or API:
 * - a person, by the admin session cookie set after logging in through this provider (signed,
 *   httpOnly, SameSite=Lax, path /admin; it holds a random session id, the account id and the
 *   expiry). The account's role (`admin` for the policy tables and the API, `verifier` for the
 *   counter desk) is checked on every request, so a revoked role takes effect at once.
 * - automation, by a bearer token from the client_credentials grant of a client registered with
 *   the `admin` scope.
 */
import crypto from 'node:crypto';

import type { Context } from 'koa';
import type Provider from 'oidc-provider';

import { findAccountById, serialInDoubt, type Account } from '../accounts/index.js';
import type { Db } from '../db/index.js';
import { checkCsrf, csrfToken } from '../web/csrf.js';
import { ADMIN_ROLE, hasRole, type Role } from './roles.js';

export const SESSION_COOKIE = 'scl_admin';
/** How long an admin session lasts before the person logs in again. */
export const SESSION_SECONDS = 3600;
export const COOKIE_PATH = '/admin';
export const ADMIN_SCOPE = 'admin';

export interface AdminSession {
  /** Random per login: binds the CSRF tokens to this session. */
  sid: string;
  /** The account id. */
  sub: string;
  /** Expiry, epoch seconds. */
  exp: number;
}

export type Principal =
  | { via: 'session'; actor: string; account: Account; session: AdminSession }
  | { via: 'token'; actor: string; clientId: string };

const cookieOptions = (ctx: Context) => ({ httpOnly: true, sameSite: 'lax' as const, signed: true, secure: ctx.secure, path: COOKIE_PATH, overwrite: true });

export function startSession(ctx: Context, accountId: string): AdminSession {
  const session: AdminSession = { sid: crypto.randomBytes(16).toString('base64url'), sub: accountId, exp: Math.floor(Date.now() / 1000) + SESSION_SECONDS };
  ctx.cookies.set(SESSION_COOKIE, Buffer.from(JSON.stringify(session)).toString('base64url'), { ...cookieOptions(ctx), maxAge: SESSION_SECONDS * 1000 });
  return session;
}

export function endSession(ctx: Context): void {
  ctx.cookies.set(SESSION_COOKIE, null, cookieOptions(ctx));
}

/** The session of a valid, unexpired, correctly signed cookie. */
export function readSession(ctx: Context): AdminSession | undefined {
  const raw = ctx.cookies.get(SESSION_COOKIE, { signed: true });
  if (!raw) return undefined;
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<AdminSession>;
    if (typeof value.sid !== 'string' || typeof value.sub !== 'string' || typeof value.exp !== 'number') return undefined;
    if (value.exp <= Date.now() / 1000) return undefined;
    return { sid: value.sid, sub: value.sub, exp: value.exp };
  } catch {
    return undefined;
  }
}

export type SessionCheck =
  | { state: 'none' }
  /** `roles`: the account's current roles (another part of the console may still be open to it). */
  | { state: 'forbidden'; session: AdminSession; roles: string[] }
  | { state: 'ok'; principal: Principal & { via: 'session' } };

/**
 * The person behind the admin cookie, and whether they (still) hold the role this part of the
 * console needs: `admin` for the policy tables and the API, `verifier` for the counter desk.
 */
export async function sessionPrincipal(ctx: Context, db: Db, role: Role = ADMIN_ROLE): Promise<SessionCheck> {
  const session = readSession(ctx);
  if (!session) return { state: 'none' };
  const account = await findAccountById(db, session.sub);
  if (!account) return { state: 'none' };
  // Mobile ID was re-activated on the number since the pin: the console session ends, and the next
  // console login is refused until another administrator re-pins (see the login's callback).
  if (serialInDoubt(account)) return { state: 'none' };
  if (!hasRole(account, role)) return { state: 'forbidden', session, roles: account.roles };
  return { state: 'ok', principal: { via: 'session', actor: `account:${account.id}`, account, session } };
}

export type BearerCheck =
  | { state: 'none' }
  | { state: 'invalid' }
  | { state: 'insufficient_scope' }
  | { state: 'ok'; principal: Principal & { via: 'token' } };

/**
 * A client_credentials access token with the `admin` scope, unexpired, of a client that still
 * exists and is registered with that scope. (A client registered without any `scope` may ask
 * the token endpoint for every scope, so the token's scope alone is not enough.) Tokens bound to
 * a key (DPoP, mutual TLS) are not accepted as plain bearer tokens.
 */
export async function bearerPrincipal(ctx: Context, provider: Provider): Promise<BearerCheck> {
  const header = ctx.get('authorization');
  if (!header) return { state: 'none' };
  const match = /^Bearer ([\x21-\x7e]{1,2048})$/i.exec(header.trim());
  if (!match) return { state: 'invalid' };
  const token = await provider.ClientCredentials.find(match[1]!);
  if (!token || token.isExpired || token.isSenderConstrained()) return { state: 'invalid' };
  const clientId = token.clientId;
  const client = clientId ? await provider.Client.find(clientId) : undefined;
  if (!client) return { state: 'invalid' };
  const registered = new Set((client.scope ?? '').split(' '));
  if (!token.scopes.has(ADMIN_SCOPE) || !registered.has(ADMIN_SCOPE)) return { state: 'insufficient_scope' };
  return { state: 'ok', principal: { via: 'token', actor: `client:${clientId}`, clientId: clientId! } };
}

/** CSRF tokens of the console's forms, bound to the admin session. */
export function sessionCsrf(secret: string, session: AdminSession): string {
  return csrfToken(secret, `admin:${session.sid}`);
}

export function checkSessionCsrf(secret: string, session: AdminSession, presented: unknown): boolean {
  return checkCsrf(secret, `admin:${session.sid}`, presented);
}
