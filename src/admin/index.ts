/**
 * The admin console and API for the policy tables (QoR, QoR strength, QoA, Level of Trust).
 *
 * - `adminRouters(deps)`: the JSON API (/admin/api/...) and the pages (/admin/...), to mount.
 *   The pages include the counter desk (/admin/desk, `verifier` role; see desk-pages.ts).
 * - `ensureAdminClient`: registers the console's own OpenID client at start.
 * - `grantRole` / `revokeRole` / `listRole`: the command line's `admin grant|revoke|list`.
 * - `ADMIN_MESSAGES`: the console's translations, for `addMessages`.
 */
import type Router from '@koa/router';
import type Provider from 'oidc-provider';

import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../logger.js';
import { adminApiRouter } from './api-router.js';
import { adminPagesRouter } from './pages-router.js';
import { PolicyRows } from './policy-rows.js';

export interface AdminDeps {
  config: Config;
  db: Db;
  provider: Provider;
  log: Logger;
  /** The instance's policy catalogue cache, dropped after every write. */
  catalogue: { invalidate(): void };
}

export function adminRouters(deps: AdminDeps): Router[] {
  const rows = new PolicyRows({ db: deps.db, catalogue: deps.catalogue, protectedNames: [deps.config.adminAcr] });
  return [adminApiRouter({ ...deps, rows }), adminPagesRouter({ ...deps, rows })];
}

export { ADMIN_MESSAGES } from './messages.js';
export { ADMIN_CLIENT_ID, ensureAdminClient } from './console-login.js';
export { ADMIN_SCOPE } from './auth.js';
export { ADMIN_ROLE, VERIFIER_ROLE, ROLES, grantRole, revokeRole, listRole, type Role, type RoleChange } from './roles.js';
export { PolicyRows, PolicyWriteError, type WriteFailure } from './policy-rows.js';
export { KINDS, SEGMENTS, type Kind, type FieldError } from './rows.js';
