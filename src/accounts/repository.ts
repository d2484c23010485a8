/** Users and their pinned Mobile ID serial number. */
import crypto from 'node:crypto';

import { asDate, type Db } from '../db/index.js';
import { writeOf, type Write } from '../db/statements.js';

export interface Account {
  id: string;
  msisdn: string;
  mobileidSerial: string | null;
  serialPinnedAt: Date | null;
  roles: string[];
  createdAt: Date;
  lastLoginAt: Date | null;
  lastLogin: LastLogin | null;
}

/** What the most recent Mobile ID login proved. */
export interface LastLogin {
  method: 'sim' | 'app';
  serial: string;
  /** True when the serial differed from the pinned one and the policy let the login through. */
  serialMismatch: boolean;
  amr: string[];
  location?: { country: string; accuracy: number; locationConfidence: number; deviceConfidence: number; timestamp: string } | undefined;
  at: string;
}

export interface AccountRow {
  id: string;
  msisdn: string;
  mobileid_serial: string | null;
  serial_pinned_at: Date | string | null;
  roles: string[] | string;
  created_at: Date | string;
  last_login_at: Date | string | null;
  last_login?: LastLogin | string | null;
}

/** An account from its row, as selected or as read inside JSON (`to_jsonb`). */
export function accountFromRow(row: AccountRow): Account {
  return {
    id: row.id,
    msisdn: row.msisdn,
    mobileidSerial: row.mobileid_serial,
    serialPinnedAt: asDate(row.serial_pinned_at),
    roles: typeof row.roles === 'string' ? (JSON.parse(row.roles) as string[]) : row.roles,
    createdAt: asDate(row.created_at),
    lastLoginAt: asDate(row.last_login_at),
    lastLogin: typeof row.last_login === 'string' ? (JSON.parse(row.last_login) as LastLogin) : row.last_login ?? null,
  };
}

/**
 * The account `id`. With `lock` (pass a transaction) it is read under a row lock, so that a change
 * of its serial pin decided on what is read cannot cross another one.
 */
export async function findAccountById(db: Db, id: string, opts: { lock?: boolean } = {}): Promise<Account | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const query = db('accounts').where({ id });
  const row = (await (opts.lock ? query.forUpdate() : query).first()) as AccountRow | undefined;
  return row ? accountFromRow(row) : undefined;
}

export async function findAccountByMsisdn(db: Db, msisdn: string): Promise<Account | undefined> {
  const row = (await db('accounts').where({ msisdn }).first()) as AccountRow | undefined;
  return row ? accountFromRow(row) : undefined;
}

/**
 * The account of this number, created if it does not exist yet: with the serial pinned at the
 * first Mobile ID login, or unpinned when an administrator grants a role before the person ever
 * logged in (the first login then pins it).
 */
export async function findOrCreateAccount(
  db: Db,
  msisdn: string,
  serial?: string,
  /** The number's account row when the caller has just read it (null: there was none). */
  read?: AccountRow | null,
): Promise<{ account: Account; created: boolean }> {
  // Most logins are by people who have logged in before: look first, insert only when missing.
  const known = read === undefined ? await findAccountByMsisdn(db, msisdn) : read && accountFromRow(read);
  if (known) return { account: known, created: false };
  const now = new Date();
  const inserted = (await db('accounts')
    .insert({ id: crypto.randomUUID(), msisdn, roles: '[]', created_at: now, ...(serial ? { mobileid_serial: serial, serial_pinned_at: now } : {}) })
    .onConflict('msisdn')
    .ignore()
    .returning('*')) as AccountRow[];
  if (inserted[0]) return { account: accountFromRow(inserted[0]), created: true };
  const existing = await findAccountByMsisdn(db, msisdn);
  if (!existing) throw new Error('account vanished during creation');
  return { account: existing, created: false };
}

/** What the latest login proved, as a write to run with the rest of the login's (src/db/statements.ts `runWrites`). */
export function recordLoginWrite(db: Db, id: string, login: LastLogin): Write {
  return writeOf(db('accounts').where({ id }).update({ last_login_at: new Date(login.at), last_login: JSON.stringify(login) }), `accounts:${id}`);
}

/** Pin a new Mobile ID serial (after a verified re-activation, or by an administrator). */
export async function pinSerial(db: Db, id: string, serial: string): Promise<void> {
  await db('accounts').where({ id }).update({ mobileid_serial: serial, serial_pinned_at: new Date() });
}


export async function setRoles(db: Db, id: string, roles: string[]): Promise<void> {
  await db('accounts').where({ id }).update({ roles: JSON.stringify([...new Set(roles)].sort()) });
}

/**
 * Changes the roles of an account under a row lock; pass a transaction to write the audit event
 * with the change. Returns the roles before and after, or undefined when there is no such account.
 */
export async function changeRoles(db: Db, id: string, change: (roles: string[]) => string[]): Promise<{ before: string[]; after: string[] } | undefined> {
  const row = (await db('accounts').where({ id }).forUpdate().first('roles')) as Pick<AccountRow, 'roles'> | undefined;
  if (!row) return undefined;
  const before = typeof row.roles === 'string' ? (JSON.parse(row.roles) as string[]) : row.roles;
  const after = [...new Set(change(before))].sort();
  await db('accounts').where({ id }).update({ roles: JSON.stringify(after) });
  return { before, after };
}

/** Accounts holding a role, oldest first. */
export async function listAccountsWithRole(db: Db, role: string): Promise<Account[]> {
  const rows = (await db('accounts').whereRaw('roles @> ?::jsonb', [JSON.stringify([role])]).orderBy('created_at')) as AccountRow[];
  return rows.map(accountFromRow);
}
