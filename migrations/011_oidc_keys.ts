import type { Knex } from 'knex';

/**
 * The keys a batched token statement looks up (src/oidc/token-batches.ts), one row each, numbered
 * from 1. `unnest` of an array parameter counts as ten rows when PostgreSQL plans a statement for
 * any values (a generic plan): the generic plan of a one-token lookup then looks ten times dearer
 * than planning it for its values, so PostgreSQL planned every execution again; and ten index
 * lookups looked dearer than reading a small table whole. Declared as one row, the generic plan
 * is the plan for one key, looked up through the primary key, and is kept. `strict` keeps the
 * function from being inlined, which would bring back unnest's estimate.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create function oidc_keys(models text[], ids text[]) returns table (model text, id text, n int)
    language sql immutable strict parallel safe rows 1
    as $$ select k.model, k.id, k.n::int from unnest(models, ids) with ordinality as k(model, id, n) $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function oidc_keys(text[], text[])');
}
