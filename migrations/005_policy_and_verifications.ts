import type { Knex } from 'knex';

/**
 * The policy model (QoR strengths, QoR, QoA, Levels of Trust), seeded from policies/ and edited
 * by administrators afterwards, and the identity verifications of users.
 */
const audited = (t: Knex.CreateTableBuilder, knex: Knex) => {
  t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  t.string('created_by', 255).notNullable().defaultTo('policy-seed');
  t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  t.string('updated_by', 255).notNullable().defaultTo('policy-seed');
};

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('servicecorelogin_quality_of_registration_strength', (t) => {
    t.increments('id').primary();
    t.string('system_name', 255).notNullable().unique();
    t.string('name_key', 255).notNullable();
    t.integer('level').notNullable();
    audited(t, knex);
  });
  await knex.schema.createTable('servicecorelogin_quality_of_registration', (t) => {
    t.increments('id').primary();
    t.string('name_key', 255).notNullable();
    t.string('system_name', 255).notNullable().unique();
    t.integer('steps').notNullable();
    t.integer('quality_of_registration_strength_id')
      .notNullable()
      .references('id')
      .inTable('servicecorelogin_quality_of_registration_strength')
      .onDelete('RESTRICT');
    audited(t, knex);
  });
  await knex.schema.createTable('servicecorelogin_quality_of_authentication', (t) => {
    t.increments('id').primary();
    t.string('name_key', 255).notNullable();
    t.string('system_name', 255).notNullable().unique();
    t.integer('level').notNullable();
    t.string('method', 64).notNullable();
    audited(t, knex);
  });
  await knex.schema.createTable('servicecorelogin_level_of_trust', (t) => {
    t.increments('id').primary();
    t.string('name_key', 255).notNullable();
    t.string('system_name', 255).notNullable().unique();
    t.integer('quality_of_authentication_id').notNullable().references('id').inTable('servicecorelogin_quality_of_authentication').onDelete('RESTRICT');
    t.integer('quality_of_registration_strength_id').notNullable().references('id').inTable('servicecorelogin_quality_of_registration_strength').onDelete('RESTRICT');
    t.jsonb('checks').notNullable().defaultTo('{}');
    audited(t, knex);
  });
  // Which default rows were ever seeded: a row an administrator deleted is not seeded again.
  await knex.schema.createTable('policy_seed', (t) => {
    t.string('kind', 32).notNullable();
    t.string('system_name', 255).notNullable();
    t.timestamp('seeded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['kind', 'system_name']);
  });

  await knex.schema.createTable('verifications', (t) => {
    t.uuid('id').primary();
    t.uuid('account_id').notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('method', 64).notNullable();
    t.string('kind', 16).notNullable();
    t.string('status', 16).notNullable();
    t.string('provider_reference', 255);
    t.jsonb('evidence').notNullable().defaultTo('{}');
    t.string('bound_serial', 64);
    t.timestamp('verified_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('create index verifications_account on verifications (account_id, status)');
  await knex.raw('create index verifications_provider_reference on verifications (method, provider_reference) where provider_reference is not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('verifications');
  await knex.schema.dropTable('policy_seed');
  await knex.schema.dropTable('servicecorelogin_level_of_trust');
  await knex.schema.dropTable('servicecorelogin_quality_of_authentication');
  await knex.schema.dropTable('servicecorelogin_quality_of_registration');
  await knex.schema.dropTable('servicecorelogin_quality_of_registration_strength');
}
