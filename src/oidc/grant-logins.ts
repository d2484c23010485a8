/**
 * Which login a grant stands for: the Mobile ID serial of the login that created or last renewed
 * it. Tokens of the grant (codes, refresh tokens, access tokens at userinfo) are evaluated with
 * that serial, so a later login of the same number on another phone (a re-activated Mobile ID)
 * never changes what an earlier grant's tokens say, and the reverse.
 */
import type { Db } from '../db/index.js';

const TABLE = 'grant_logins';

/**
 * Records the login behind a grant. `serial` is the serial of a login that has just finished;
 * undefined when the grant is made within an existing session (single sign-on): it then takes the
 * serial of the session's login.
 */
export async function recordGrantLogin(db: Db, grantId: string, sessionUid: string, serial: string | null | undefined): Promise<void> {
  if (serial === undefined) {
    const existing = (await db(TABLE).where({ grant_id: grantId }).first('grant_id')) as { grant_id: string } | undefined;
    if (existing) return;
    const session = (await db(TABLE).where({ session_uid: sessionUid }).orderBy('updated_at', 'desc').first('serial')) as { serial: string | null } | undefined;
    serial = session?.serial ?? null;
  }
  await db(TABLE)
    .insert({ grant_id: grantId, session_uid: sessionUid, serial, updated_at: new Date() })
    .onConflict('grant_id')
    .merge(['session_uid', 'serial', 'updated_at']);
}

/** Forgets the logins of grants that no longer exist (revoked or expired). */
export async function sweepGrantLogins(db: Db): Promise<number> {
  return db(TABLE)
    .whereNotExists(db('oidc_payloads').select(db.raw('1')).where('model', 'Grant').andWhereRaw('oidc_payloads.id = grant_logins.grant_id'))
    .delete();
}
