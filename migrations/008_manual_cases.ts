import type { Knex } from 'knex';

/**
 * Counter identification cases: the identity a user asked to have checked in person, the signed
 * reference of the QR code (its `jti`; the token itself is never stored), the short code typed at
 * the desk, the lock of the verifier who has the case open, and the decision.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('manual_cases', (t) => {
    t.uuid('id').primary();
    t.uuid('account_id').notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.uuid('verification_id').notNullable().references('id').inTable('verifications').onDelete('CASCADE');
    /** open | approved | rejected | cancelled | expired */
    t.string('state', 16).notNullable();
    t.string('short_code', 8).notNullable().unique();
    t.string('jti', 64).notNullable();
    /** given_names, family_name, birth_date, nationality as the user entered them. */
    t.jsonb('claimed').notNullable();
    t.string('bound_serial', 64);
    t.string('locale', 8).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.uuid('locked_by');
    t.timestamp('locked_at', { useTz: true });
    t.timestamp('lock_expires_at', { useTz: true });
    t.uuid('decided_by');
    t.timestamp('decided_at', { useTz: true });
    /** Why a case was rejected, cancelled or expired (a reason code, never free text). */
    t.string('reason', 32);
    /** The identity document the verifier recorded: type, number, issuing country, expiry. */
    t.jsonb('document');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // One open case per account: a second request shows the first one instead.
  await knex.raw("create unique index manual_cases_one_open on manual_cases (account_id) where state = 'open'");
  await knex.raw("create index manual_cases_open_expiry on manual_cases (expires_at) where state = 'open'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('manual_cases');
}
