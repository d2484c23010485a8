import type { Knex } from 'knex';

/**
 * The Mobile ID serial of the login behind each grant: the claims of every token of the grant
 * (verifications bound to a serial, the AHV number) are worked out for that login, never for
 * whichever login of the account came last.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('grant_logins', (t) => {
    t.string('grant_id', 255).primary();
    t.string('session_uid', 255).notNullable().index();
    t.string('serial', 64);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('grant_logins');
}
