/**
 * Roles of accounts: `admin` (the admin console and API) and `verifier` (the counter desk).
 * The first administrator is granted from the command line (`npm run cli -- admin grant NUMBER`);
 * every change is audited.
 */
import { audit } from '../audit/index.js';
import { changeRoles, findAccountByMsisdn, findOrCreateAccount, listAccountsWithRole, type Account } from '../accounts/index.js';
import type { Db } from '../db/index.js';
import { maskMsisdn, normaliseMsisdn } from '../mobileid/index.js';

export const ROLES = ['admin', 'verifier'] as const;
export type Role = (typeof ROLES)[number];
export const ADMIN_ROLE: Role = 'admin';
export const VERIFIER_ROLE: Role = 'verifier';

/** Whether an account may use any part of the console (the policy tables or the counter desk). */
export function hasConsoleRole(account: Pick<Account, 'roles'>): boolean {
  return ROLES.some((role) => account.roles.includes(role));
}

export interface RoleChange {
  accountId: string;
  /** The number, masked for output and logs. */
  maskedMsisdn: string;
  /** True when the account was created by this grant (the number never logged in). */
  created: boolean;
  /** False when the account already had (grant) or did not have (revoke) the role. */
  changed: boolean;
  roles: string[];
}

/**
 * Grants a role to the account of a phone number, creating the account when the number never
 * logged in (its Mobile ID serial is pinned at its first login).
 */
export async function grantRole(db: Db, phone: string, role: Role, opts: { actor: string; defaultCountryCode?: string }): Promise<RoleChange> {
  const msisdn = normaliseMsisdn(phone, opts.defaultCountryCode);
  return db.transaction(async (trx) => {
    const { account, created } = await findOrCreateAccount(trx, msisdn);
    const change = (await changeRoles(trx, account.id, (roles) => [...roles, role]))!;
    const changed = !change.before.includes(role);
    if (changed || created) {
      await audit(trx, {
        actor: opts.actor,
        action: 'account.role.grant',
        subject: `account:${account.id}`,
        before: { roles: change.before },
        after: { roles: change.after },
        detail: { role, msisdn: maskMsisdn(msisdn), accountCreated: created },
      });
    }
    return { accountId: account.id, maskedMsisdn: maskMsisdn(msisdn), created, changed, roles: change.after };
  });
}

/** Revokes a role; undefined when the number has no account. */
export async function revokeRole(db: Db, phone: string, role: Role, opts: { actor: string; defaultCountryCode?: string }): Promise<RoleChange | undefined> {
  const msisdn = normaliseMsisdn(phone, opts.defaultCountryCode);
  return db.transaction(async (trx) => {
    const account = await findAccountByMsisdn(trx, msisdn);
    if (!account) return undefined;
    const change = (await changeRoles(trx, account.id, (roles) => roles.filter((r) => r !== role)))!;
    const changed = change.before.includes(role);
    if (changed) {
      await audit(trx, {
        actor: opts.actor,
        action: 'account.role.revoke',
        subject: `account:${account.id}`,
        before: { roles: change.before },
        after: { roles: change.after },
        detail: { role, msisdn: maskMsisdn(msisdn) },
      });
    }
    return { accountId: account.id, maskedMsisdn: maskMsisdn(msisdn), created: false, changed, roles: change.after };
  });
}

export async function listRole(db: Db, role: Role): Promise<{ accountId: string; maskedMsisdn: string; lastLoginAt: Date | null; serialPinned: boolean }[]> {
  return (await listAccountsWithRole(db, role)).map((a: Account) => ({
    accountId: a.id,
    maskedMsisdn: maskMsisdn(a.msisdn),
    lastLoginAt: a.lastLoginAt,
    serialPinned: a.mobileidSerial !== null,
  }));
}

export function hasRole(account: Pick<Account, 'roles'>, role: Role): boolean {
  return account.roles.includes(role);
}
