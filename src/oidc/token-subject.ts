/**
 * What a token's claims are computed from, read in one statement (every code exchange, refresh
 * and userinfo call needs it): the account, its verifications, and the Mobile ID serial of the
 * login behind the token's grant (src/oidc/grant-logins.ts). At the token and userinfo endpoints
 * it is read together with the token itself (src/oidc/adapter.ts), and taken from the request.
 * At the authorization endpoint, where the account of the session is loaded without a grant, it is
 * read together with the session, or with the interaction whose login is being resumed.
 */
import { accountFromRow, type Account, type AccountRow } from '../accounts/index.js';
import type { Db } from '../db/index.js';
import { run, statement } from '../db/statements.js';
import { verificationFromRow, type StoredVerification, type VerificationRow } from '../verification/repository.js';
import { currentScope, keyOf, type GrantLoginDetails } from './request-scope.js';

export interface TokenSubject {
  account: Account;
  verifications: StoredVerification[];
  /** The serial of the grant's login; null when unknown (then no serial-bound verification counts). */
  serial: string | null;
  /** What else the grant's login proved (geofenced levels, location); none when unknown. */
  login: GrantLoginDetails;
}

export interface TokenSubjectRow {
  subject_account: AccountRow | string | null;
  subject_verifications: VerificationRow[] | string | null;
  subject_serial: string | null;
  subject_login?: GrantLoginDetails | string | null;
}

const UUID = `'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;

/** The subject columns of the account `accountId` (a text expression) under the grant `grantId`. */
function subjectColumns(accountId: string, grantId: string): string {
  return `select to_jsonb(a) as subject_account,
          coalesce((select jsonb_agg(to_jsonb(v) order by v.created_at) from verifications v where v.account_id = a.id), '[]'::jsonb) as subject_verifications,
          gl.serial as subject_serial,
          gl.login as subject_login
     from accounts a
     left join grant_logins gl on gl.grant_id = ${grantId}
    where a.id = case when ${accountId} ~* ${UUID} then (${accountId})::uuid end`;
}

/** A lateral join adding the subject columns of the token row `t` (its accountId and grant). */
export const SUBJECT_OF_TOKEN = `left join lateral (${subjectColumns(`t.payload->>'accountId'`, 't.grant_id')}) s on true`;

/**
 * The account a Session row is about, or the account an Interaction row's login result names (the
 * one the session takes when the authorization request is resumed): as SQL of the row `t`, and
 * from a payload.
 */
const LOGIN_ACCOUNT_ID = `case t.model when 'Session' then t.payload->>'accountId' else t.payload #>> '{result,login,accountId}' end`;

export function loginAccountId(model: string, payload: Record<string, unknown> | undefined): string | undefined {
  const login = (payload?.result as { login?: { accountId?: unknown } } | undefined)?.login;
  const id = model === 'Session' ? payload?.accountId : login?.accountId;
  return typeof id === 'string' ? id : undefined;
}

/** A lateral join adding the subject columns (without a grant) of the session or interaction row `t`. */
export const SUBJECT_OF_LOGIN = `left join lateral (${subjectColumns(LOGIN_ACCOUNT_ID, 'null')}) s on true`;

const LOAD = statement('token_subject', subjectColumns('$1::text', '$2'));

const parsed = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

function fromRow(row: TokenSubjectRow | undefined): TokenSubject | undefined {
  if (!row?.subject_account || !row.subject_verifications) return undefined;
  return {
    account: accountFromRow(parsed(row.subject_account)),
    verifications: parsed(row.subject_verifications).map(verificationFromRow),
    serial: row.subject_serial,
    login: row.subject_login ? parsed(row.subject_login) : {},
  };
}

/** Remembers the subject read along with a token, for `loadTokenSubject` later in the request. */
export function keepTokenSubject(accountId: string, grantId: string | undefined, row: TokenSubjectRow): void {
  currentScope()?.subjects.set(keyOf(accountId, grantId ?? ''), row);
}

export async function loadTokenSubject(db: Db, accountId: string, grantId: string | undefined): Promise<TokenSubject | undefined> {
  const kept = currentScope()?.subjects.get(keyOf(accountId, grantId ?? ''));
  if (kept) return fromRow(kept);
  const { rows } = await run<TokenSubjectRow>(db, LOAD, [accountId, grantId ?? null]);
  return fromRow(rows[0]);
}
