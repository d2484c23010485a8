import type { Knex } from 'knex';

/**
 * Token signing keys. The private JWK is stored encrypted (AES-256-GCM under KEY_ENCRYPTION_KEY).
 * A key signs until `retired_at`; it stays published in the JWKS until `expires_at`, when no
 * token it signed can still be valid.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signing_keys', (t) => {
    t.string('kid', 64).primary();
    t.string('alg', 16).notNullable();
    t.jsonb('public_jwk').notNullable();
    t.text('private_jwk_encrypted').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('retired_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signing_keys');
}
