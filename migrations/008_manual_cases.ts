import type { Knex } from 'knex';

/** counter identification cases. */
export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
