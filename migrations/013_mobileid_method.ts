import type { Knex } from 'knex';

/**
 * The Mobile ID method (SIM or App) a login used, decided when Mobile ID accepts the request: from
 * the signature profile of its answer when that names one (STK-LoA4, Device-LoA4), else from the
 * profile asked for or the methods the number has (reference guide 3.2.1.1). A profile mapped for
 * the AP (e.g. `…/My-Custom-Profile`) says nothing about the method, so it is kept apart from it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mobileid_transactions', (t) => {
    t.string('method', 8);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mobileid_transactions', (t) => {
    t.dropColumn('method');
  });
}
