import type { Knex } from 'knex';

/**
 * AHV register checks: the confirmed AHV number of a verification, encrypted (AES-256-GCM, see
 * src/verification/ahv/cipher.ts), with a keyed hash for lookups and the masked form for pages.
 * The verification itself (outcome, which identity was checked) is a row of `verifications`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ahv_checks', (t) => {
    t.uuid('id').primary();
    t.uuid('account_id').notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.uuid('verification_id').notNullable().unique().references('id').inTable('verifications').onDelete('CASCADE');
    t.text('vn_encrypted').notNullable();
    t.string('vn_hash', 64).notNullable();
    t.string('vn_masked', 16).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('create index ahv_checks_account on ahv_checks (account_id, created_at)');
  await knex.raw('create index ahv_checks_vn_hash on ahv_checks (vn_hash)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ahv_checks');
}
