import type { Knex } from 'knex';

/**
 * The ids a batched statement on a table keyed by UUID looks up (src/mobileid/login.ts), one row
 * each, numbered from 1: as `oidc_keys` (migration 011), declared as one row, so that each id is
 * looked up through the primary key. Joined with `unnest` instead, a table that had filled up
 * before it was first analysed (a burst of logins on a new deployment) was read through the index
 * of pending logins, whole, for every batch.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create function uuid_keys(ids uuid[]) returns table (id uuid, n int)
    language sql immutable strict parallel safe rows 1
    as $$ select k.id, k.n::int from unnest(ids) with ordinality as k(id, n) $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function uuid_keys(uuid[])');
}
