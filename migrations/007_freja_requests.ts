import type { Knex } from 'knex';

/**
 * Freja eID authentication requests in flight (any instance continues any request; a restart
 * loses none), and the digests of the signed results already used (replay protection).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('freja_requests', (t) => {
    t.uuid('id').primary();
    /** Freja's reference of the authentication (null until Freja accepted the request). */
    t.string('auth_ref', 255).unique();
    t.uuid('account_id').notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('interaction_uid', 64).notNullable();
    /** The Mobile ID login the step-up belongs to. */
    t.string('login_id', 64).notNullable();
    /** The Mobile ID serial the verification will be bound to. */
    t.string('bound_serial', 64).notNullable();
    /** What the user said about themselves (names, date of birth): compared with Freja's answer. */
    t.jsonb('claimed_identity').notNullable();
    t.string('min_registration_level', 16).notNullable();
    /** pending → verified | failed | cancelled. */
    t.string('state', 16).notNullable();
    /** The last transaction status Freja reported (STARTED, DELIVERED_TO_MOBILE, APPROVED, …). */
    t.string('freja_status', 32);
    /** Why the request ended (a message key and a stable code), or the last transient problem. */
    t.jsonb('outcome');
    t.jsonb('last_problem');
    t.uuid('verification_id');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('next_poll_at', { useTz: true }).notNullable();
    t.timestamp('last_poll_at', { useTz: true });
    t.timestamp('completed_at', { useTz: true });
    t.integer('polls').notNullable().defaultTo(0);
  });
  await knex.raw('create index freja_requests_account_created on freja_requests (account_id, created_at)');
  await knex.raw("create index freja_requests_pending on freja_requests (interaction_uid) where state = 'pending'");

  await knex.schema.createTable('freja_seen_results', (t) => {
    /** SHA-256 of the compact JWS, hex. */
    t.string('digest', 64).primary();
    t.string('auth_ref', 255).notNullable();
    t.timestamp('seen_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('freja_seen_results');
  await knex.schema.dropTableIfExists('freja_requests');
}
