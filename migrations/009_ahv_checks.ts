import type { Knex } from 'knex';

/** AHV register checks. */
export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
