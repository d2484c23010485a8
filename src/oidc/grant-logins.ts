/**
 * Which login a grant stands for: the Mobile ID serial of the login that created or last renewed
 * it, and what else that login proved (`GrantLoginDetails`: the Levels of Trust whose geofencing
 * thresholds its location met, and the location). Tokens of the grant (codes, refresh tokens, access tokens at userinfo) are evaluated with
 * that serial, so a later login of the same number on another phone (a re-activated Mobile ID)
 * never changes what an earlier grant's tokens say, and the reverse.
 */
import type { Db } from '../db/index.js';
import { currentScope, type GrantLoginDetails, type PendingGrantLogin } from './request-scope.js';

export type { GrantLoginDetails } from './request-scope.js';

const TABLE = 'grant_logins';

/** Parallel arrays of logins to record: grant id, session uid, serial, details (JSON), time (ISO 8601), request. */
export type GrantLoginArrays = [string[], string[], (string | null)[], (string | null)[], string[], number[]];

export function pushGrantLogin(w: GrantLoginArrays, login: PendingGrantLogin, req: number): void {
  w[0].push(login.grantId);
  w[1].push(login.sessionUid);
  w[2].push(login.serial);
  w[3].push(login.details ? JSON.stringify(login.details) : null);
  w[4].push(login.at.toISOString());
  w[5].push(req);
}

/** An insert of the logins in six parallel arrays from parameter `$first`, of the requests that pass `where`. */
export function upsertGrantLogins(first: number, where: string): string {
  const [grantId, sessionUid, serial, details, at, req] = [0, 1, 2, 3, 4, 5].map((i) => `$${first + i}`);
  return `insert into ${TABLE} (grant_id, session_uid, serial, login, updated_at)
          select grant_id, session_uid, serial, login::jsonb, updated_at
            from unnest(${grantId}::text[], ${sessionUid}::text[], ${serial}::text[], ${details}::text[], ${at}::timestamptz[], ${req}::int[])
                 as w(grant_id, session_uid, serial, login, updated_at, req)
           where ${where}
          on conflict (grant_id) do update set session_uid = excluded.session_uid, serial = excluded.serial, login = excluded.login, updated_at = excluded.updated_at`;
}

/** A login that has just finished: its serial (null: none) and what else it proved. */
export interface FinishedLogin {
  serial: string | null;
  details?: GrantLoginDetails | undefined;
}

/**
 * Records the login behind a grant. `login` is a login that has just finished; undefined when the
 * grant is made within an existing session (single sign-on): it then takes the serial and details
 * of the session's login.
 */
export async function recordGrantLogin(db: Db, grantId: string, sessionUid: string, login: FinishedLogin | undefined): Promise<void> {
  let serial: string | null;
  let details: GrantLoginDetails | null;
  if (login === undefined) {
    const existing = (await db(TABLE).where({ grant_id: grantId }).first('grant_id')) as { grant_id: string } | undefined;
    if (existing) return;
    const session = (await db(TABLE).where({ session_uid: sessionUid }).orderBy('updated_at', 'desc').first('serial', 'login')) as
      | { serial: string | null; login: GrantLoginDetails | string | null }
      | undefined;
    serial = session?.serial ?? null;
    details = typeof session?.login === 'string' ? (JSON.parse(session.login) as GrantLoginDetails) : (session?.login ?? null);
  } else {
    serial = login.serial;
    details = login.details ?? null;
  }
  const scope = currentScope();
  if (scope?.deferWrites) {
    // Written with the grant, when the request's writes are committed.
    scope.grantLogins.set(grantId, { grantId, sessionUid, serial, ...(details ? { details } : {}), at: new Date() });
    return;
  }
  await db(TABLE)
    .insert({ grant_id: grantId, session_uid: sessionUid, serial, login: details ? JSON.stringify(details) : null, updated_at: new Date() })
    .onConflict('grant_id')
    .merge(['session_uid', 'serial', 'login', 'updated_at']);
}

/** Forgets the logins of grants that no longer exist (revoked or expired). */
export async function sweepGrantLogins(db: Db): Promise<number> {
  return db(TABLE)
    .whereNotExists(db('oidc_payloads').select(db.raw('1')).where('model', 'Grant').andWhereRaw('oidc_payloads.id = grant_logins.grant_id'))
    .delete();
}
