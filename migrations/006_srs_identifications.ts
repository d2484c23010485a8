import type { Knex } from 'knex';

/**
 * Swisscom SRS identifications in flight (any instance continues any of them; a restart loses
 * none), and the ids of the partner's callback JWTs already used (replay protection).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('srs_identifications', (t) => {
    t.uuid('id').primary();
    t.uuid('account_id').notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('interaction_uid', 64).notNullable();
    t.string('login_id', 64).notNullable();
    /** The step-up page the user returns to. */
    t.string('return_url', 255).notNullable();
    /** Our method id (policies/qor.json): srs-video, srs-bank. */
    t.string('method', 32).notNullable();
    /** The Mobile ID serial of the login that started it: the verification is bound to it. */
    t.string('bound_serial', 64).notNullable();
    t.string('locale', 2).notNullable();
    /** draft → starting → started → approved | failed | cancelled (starting → draft when SRS refuses or cannot be reached) */
    t.string('status', 16).notNullable();
    /** The identity the user claimed (names, date of birth, nationality, e-mail); never logged, cleared when the identification ends. */
    t.jsonb('claimed');
    /** The catalogue entry used: identification partner, its method, LoA and jurisdiction. */
    t.string('isp', 64);
    t.string('isp_method', 64);
    t.integer('loa');
    t.string('jurisdiction', 16);
    t.string('ref_id', 64).unique();
    t.text('target_url');
    /** The last SRS status (normalised), and the message key of the outcome or of the wait. */
    t.string('srs_status', 32);
    t.string('message_key', 96);
    /** Identity data the partner returned (callback JWT or status); never logged, cleared when the identification ends. */
    t.jsonb('proven');
    t.string('evidence_id', 255);
    t.uuid('verification_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('next_poll_at', { useTz: true }).notNullable();
    /** When the identification was ordered at SRS (the per-account limit counts these). */
    t.timestamp('started_at', { useTz: true });
    /**
     * While set and in the future, one instance is ordering the identification at SRS (starting) or
     * confirming the evidence (started); only the holder of the token releases it.
     */
    t.timestamp('lease_until', { useTz: true });
    t.string('lease_token', 36);
  });
  await knex.raw('create index srs_identifications_account_created on srs_identifications (account_id, created_at)');
  await knex.raw('create index srs_identifications_account_started on srs_identifications (account_id, started_at)');
  await knex.raw("create index srs_identifications_open on srs_identifications (expires_at) where status in ('draft', 'starting', 'started')");

  await knex.schema.createTable('srs_callback_jtis', (t) => {
    t.string('jti', 255).primary();
    t.string('ref_id', 64).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('create index srs_callback_jtis_expires on srs_callback_jtis (expires_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('srs_callback_jtis');
  await knex.schema.dropTable('srs_identifications');
}
