import type { Knex } from 'knex';

/**
 * What else the login behind a grant proved besides its serial: the Levels of Trust whose
 * geofencing thresholds its location met, and that location (released with the
 * `mobileid_location` scope). Tokens of the grant say what their own login proved, never what a
 * later login of the account did.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('grant_logins', (t) => {
    t.jsonb('login');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('grant_logins', (t) => {
    t.dropColumn('login');
  });
}
