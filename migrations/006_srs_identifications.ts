import type { Knex } from 'knex';

/** SRS identifications in flight (filled by the SRS method). */
export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
