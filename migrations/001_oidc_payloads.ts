import type { Knex } from 'knex';

/** Storage of every oidc-provider model (sessions, codes, tokens, grants, interactions, clients). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.string('model', 64).notNullable();
    t.string('id', 255).notNullable();
    t.jsonb('payload').notNullable();
    t.string('grant_id', 255);
    t.string('uid', 255);
    t.string('user_code', 255);
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.primary(['model', 'id']);
  });
  await knex.raw('create index oidc_payloads_uid on oidc_payloads (uid) where uid is not null');
  await knex.raw('create index oidc_payloads_user_code on oidc_payloads (user_code) where user_code is not null');
  await knex.raw('create index oidc_payloads_grant_id on oidc_payloads (grant_id) where grant_id is not null');
  await knex.raw('create index oidc_payloads_expires_at on oidc_payloads (expires_at) where expires_at is not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('oidc_payloads');
}
