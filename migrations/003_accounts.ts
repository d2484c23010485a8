import type { Knex } from 'knex';

/** Users: identified by their Mobile ID number; the Mobile ID serial is pinned at first login. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('accounts', (t) => {
    t.uuid('id').primary();
    t.string('msisdn', 20).notNullable().unique();
    t.string('mobileid_serial', 64);
    t.timestamp('serial_pinned_at', { useTz: true });
    t.jsonb('roles').notNullable().defaultTo('[]');
    t.string('locale', 8);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_login_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('accounts');
}
