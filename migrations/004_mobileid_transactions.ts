import type { Knex } from 'knex';

/**
 * Pending and finished Mobile ID logins (any instance continues any login; a restart loses none),
 * and the append-only audit log.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mobileid_transactions', (t) => {
    t.uuid('id').primary();
    t.string('interaction_uid', 64).notNullable();
    t.string('client_id', 255);
    t.string('msisdn', 20).notNullable();
    t.string('client_ip', 64);
    t.string('locale', 2).notNullable();
    t.text('dtbd').notNullable();
    t.string('transaction_code', 16).notNullable();
    t.string('ap_trans_id', 64).notNullable();
    t.string('mssp_trans_id', 64);
    t.string('signature_profile', 128);
    t.jsonb('geofence_policy');
    t.string('status', 16).notNullable();
    t.jsonb('error');
    t.jsonb('result');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('next_poll_at', { useTz: true }).notNullable();
    t.timestamp('completed_at', { useTz: true });
    t.integer('polls').notNullable().defaultTo(0);
  });
  await knex.raw("create unique index mobileid_transactions_one_pending on mobileid_transactions (msisdn) where status = 'pending'");
  await knex.raw('create index mobileid_transactions_msisdn_created on mobileid_transactions (msisdn, created_at)');
  await knex.raw('create index mobileid_transactions_ip_created on mobileid_transactions (client_ip, created_at)');
  await knex.raw('create index mobileid_transactions_created on mobileid_transactions (created_at)');

  await knex.schema.alterTable('accounts', (t) => {
    // The most recent Mobile ID login: method, serial used, location (released with the
    // mobileid_location scope) and whether the serial differed from the pinned one.
    t.jsonb('last_login');
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.string('actor', 255).notNullable();
    t.string('action', 64).notNullable();
    t.string('subject', 255);
    t.jsonb('before');
    t.jsonb('after');
    t.jsonb('detail');
  });
  await knex.raw('create index audit_events_subject on audit_events (subject, at)');
  // Append-only: the application role can insert and read, never change or remove.
  await knex.raw(`
    create or replace function audit_events_append_only() returns trigger language plpgsql as $$
    begin raise exception 'audit_events is append-only'; end $$;
  `);
  await knex.raw('create trigger audit_events_no_change before update or delete on audit_events for each row execute function audit_events_append_only()');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_events');
  await knex.raw('drop function if exists audit_events_append_only');
  await knex.schema.dropTable('mobileid_transactions');
  await knex.schema.alterTable('accounts', (t) => t.dropColumn('last_login'));
}
