import type { Knex } from 'knex';

/**
 * `oidc_keys` (migration 011) and `uuid_keys` (012) in PL/pgSQL instead of SQL, with the same
 * signatures and estimate (one row). A SQL function that is not inlined (these must not be, or
 * `unnest`'s estimate comes back) has its body parsed and planned again at every execution of the
 * statement that calls it: with the token commit calling `oidc_keys` three times, that was most of
 * the planning PostgreSQL did under load. PL/pgSQL plans its query once per connection.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create or replace function oidc_keys(models text[], ids text[]) returns table (model text, id text, n int)
    language plpgsql immutable strict parallel safe rows 1
    as $$ begin return query select k.model, k.id, k.n::int from unnest(models, ids) with ordinality as k(model, id, n); end $$`);
  await knex.raw(`create or replace function uuid_keys(ids uuid[]) returns table (id uuid, n int)
    language plpgsql immutable strict parallel safe rows 1
    as $$ begin return query select k.id, k.n::int from unnest(ids) with ordinality as k(id, n); end $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`create or replace function oidc_keys(models text[], ids text[]) returns table (model text, id text, n int)
    language sql immutable strict parallel safe rows 1
    as $$ select k.model, k.id, k.n::int from unnest(models, ids) with ordinality as k(model, id, n) $$`);
  await knex.raw(`create or replace function uuid_keys(ids uuid[]) returns table (id uuid, n int)
    language sql immutable strict parallel safe rows 1
    as $$ select k.id, k.n::int from unnest(ids) with ordinality as k(id, n) $$`);
}
