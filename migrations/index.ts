/**
 * The ordered list of migrations. Listed explicitly (rather than read from the directory) so the
 * same source works from TypeScript, from the compiled build and inside the test runner.
 */
import type { Knex } from 'knex';

import * as m001 from './001_oidc_payloads.js';
import * as m002 from './002_signing_keys.js';
import * as m003 from './003_accounts.js';
import * as m004 from './004_mobileid_transactions.js';
import * as m005 from './005_policy_and_verifications.js';
import * as m006 from './006_srs_identifications.js';
import * as m007 from './007_freja_requests.js';
import * as m008 from './008_manual_cases.js';
import * as m009 from './009_ahv_checks.js';
import * as m010 from './010_grant_logins.js';
import * as m011 from './011_oidc_keys.js';
import * as m012 from './012_uuid_keys.js';
import * as m013 from './013_mobileid_method.js';
import * as m014 from './014_grant_login_details.js';
import * as m015 from './015_keys_plpgsql.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: Record<string, Migration> = {
  '001_oidc_payloads': m001,
  '002_signing_keys': m002,
  '003_accounts': m003,
  '004_mobileid_transactions': m004,
  '005_policy_and_verifications': m005,
  '006_srs_identifications': m006,
  '007_freja_requests': m007,
  '008_manual_cases': m008,
  '009_ahv_checks': m009,
  '010_grant_logins': m010,
  '011_oidc_keys': m011,
  '012_uuid_keys': m012,
  '013_mobileid_method': m013,
  '014_grant_login_details': m014,
  '015_keys_plpgsql': m015,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const migration = migrations[name];
    if (!migration) throw new Error(`unknown migration ${name}`);
    return migration;
  },
};
