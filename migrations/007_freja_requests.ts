import type { Knex } from 'knex';

/** Freja eID authentication requests in flight. */
export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
