/**
 * Writes to the policy tables by administrators. Every write runs in one transaction that
 * validates the row (fields, steps, unique system_name across the four tables, references),
 * refuses to remove or rename what is still referenced, refuses a result that would break the
 * catalogue, and appends the audit event. Afterwards this instance's catalogue cache is dropped so
 * the next login sees the change.
 */
import type { Db } from '../db/index.js';
import { audit } from '../audit/index.js';
import { listClients } from '../oidc/clients.js';
import { catalogueIssues, loadCatalogue } from '../qor/index.js';
import { geofencedLevels } from '../qor/levels.js';
import {
  FIELDS,
  KINDS,
  TABLES,
  columnsOf,
  parseRow,
  snapshot,
  storedRow,
  type AnyRowInput,
  type FieldError,
  type Kind,
  type StoredRow,
} from './rows.js';

/** Serialises policy writes with each other and with the start-up seed (same lock key). */
const POLICY_LOCK = 727_002;

export type WriteFailure =
  | { error: 'invalid_row'; fields: FieldError[] }
  | { error: 'duplicate'; fields: FieldError[] }
  | { error: 'in_use'; referencedBy: string[] }
  | { error: 'not_found' };

export class PolicyWriteError extends Error {
  constructor(readonly failure: WriteFailure) {
    super(failure.error);
    this.name = 'PolicyWriteError';
  }
}

export interface PolicyRowsOptions {
  db: Db;
  /** Dropped after every write (the instance's CatalogueCache). */
  catalogue?: { invalidate(): void };
  /** acr values the configuration depends on (ADMIN_ACR): never deleted or renamed here. */
  protectedNames?: readonly string[];
}

type Trx = Db;

const PREFIX: Record<Kind, string> = { strength: 'strength', qor: 'qor', qoa: 'qoa', lot: 'lot' };

/** The audit subject of a row, e.g. `qor:urn:servicecore:qor:300`. */
export function auditSubject(kind: Kind, systemName: string): string {
  return `${PREFIX[kind]}:${systemName}`;
}

export class PolicyRows {
  constructor(private readonly opts: PolicyRowsOptions) {}

  async list(kind: Kind): Promise<StoredRow[]> {
    const rows = (await this.opts.db(TABLES[kind]).select(columnsOf(kind)).orderBy('id')) as Record<string, unknown>[];
    return rows.map((r) => storedRow(kind, r));
  }

  async get(kind: Kind, id: number): Promise<StoredRow | undefined> {
    return this.find(this.opts.db, kind, id);
  }

  async create(kind: Kind, input: unknown, actor: string): Promise<StoredRow> {
    const row = this.parse(kind, input);
    const created = await this.write(async (trx) => {
      await this.checkRow(trx, kind, row, undefined);
      const inserted = (await trx(TABLES[kind])
        .insert({ ...columnValues(kind, row), created_by: actor, updated_by: actor })
        .returning(columnsOf(kind))) as Record<string, unknown>[];
      const stored = storedRow(kind, inserted[0]!);
      return { result: stored, event: { action: `policy.${kind}.create`, subject: auditSubject(kind, stored.system_name), before: null, after: snapshot(kind, stored) } };
    }, actor);
    return created;
  }

  /** Replaces the fields of a row; with `partial`, fields not sent keep their value. */
  async update(kind: Kind, id: number, input: unknown, actor: string, opts: { partial?: boolean } = {}): Promise<StoredRow> {
    const parsedBefore = opts.partial ? undefined : this.parse(kind, input);
    return this.write(async (trx) => {
      const before = await this.find(trx, kind, id, { lock: true });
      if (!before) throw new PolicyWriteError({ error: 'not_found' });
      const row = parsedBefore ?? this.parse(kind, { ...fieldsOf(kind, before), ...asObject(input) });
      const unchanged = FIELDS[kind].every((f) => canonical(row[f as keyof AnyRowInput]) === canonical(before[f]));
      if (unchanged) return { result: before, event: undefined };
      await this.checkRow(trx, kind, row, id);
      if (row.system_name !== before.system_name) await this.refuseIfNamed(trx, kind, before.system_name);
      const updated = (await trx(TABLES[kind])
        .where({ id })
        .update({ ...columnValues(kind, row), updated_by: actor, updated_at: trx.fn.now() })
        .returning(columnsOf(kind))) as Record<string, unknown>[];
      const after = storedRow(kind, updated[0]!);
      return {
        result: after,
        event: { action: `policy.${kind}.update`, subject: auditSubject(kind, after.system_name), before: snapshot(kind, before), after: snapshot(kind, after) },
      };
    }, actor);
  }

  async remove(kind: Kind, id: number, actor: string): Promise<void> {
    await this.write(async (trx) => {
      const before = await this.find(trx, kind, id, { lock: true });
      if (!before) throw new PolicyWriteError({ error: 'not_found' });
      const referencedBy = [...(await this.rowReferences(trx, kind, id)), ...(await this.nameReferences(trx, kind, before.system_name))];
      if (referencedBy.length) throw new PolicyWriteError({ error: 'in_use', referencedBy });
      await trx(TABLES[kind]).where({ id }).delete();
      return { result: undefined, event: { action: `policy.${kind}.delete`, subject: auditSubject(kind, before.system_name), before: snapshot(kind, before), after: null } };
    }, actor);
  }

  /** What still refers to a row (for the pages, before offering to delete it). */
  async references(kind: Kind, id: number): Promise<string[]> {
    const row = await this.find(this.opts.db, kind, id);
    if (!row) return [];
    return [...(await this.rowReferences(this.opts.db, kind, id)), ...(await this.nameReferences(this.opts.db, kind, row.system_name))];
  }

  // -------------------------------------------------------------------------------------------

  private parse(kind: Kind, input: unknown): AnyRowInput {
    const parsed = parseRow(kind, input);
    if (!parsed.ok) throw new PolicyWriteError({ error: 'invalid_row', fields: parsed.fields });
    return parsed.row;
  }

  private async find(db: Db, kind: Kind, id: number, opts: { lock?: boolean } = {}): Promise<StoredRow | undefined> {
    if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) return undefined;
    const query = db(TABLES[kind]).where({ id }).first(columnsOf(kind));
    const row = (await (opts.lock ? query.forUpdate() : query)) as Record<string, unknown> | undefined;
    return row ? storedRow(kind, row) : undefined;
  }

  /**
   * One write: lock, run, check the resulting catalogue, audit, commit; then drop the cache.
   * A catalogue problem that the write introduces rolls it back.
   */
  private async write<T>(
    change: (trx: Trx) => Promise<{ result: T; event: { action: string; subject: string; before: unknown; after: unknown } | undefined }>,
    actor: string,
  ): Promise<T> {
    let changed = false;
    try {
      const result = await this.opts.db.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(?)', [POLICY_LOCK]);
        const issuesBefore = new Set(await catalogueProblems(trx));
        const { result, event } = await change(trx);
        if (!event) return result;
        const introduced = (await catalogueProblems(trx)).filter((issue) => !issuesBefore.has(issue));
        if (introduced.length) {
          throw new PolicyWriteError({ error: 'invalid_row', fields: introduced.map((detail) => ({ field: 'row', code: 'catalogue', params: { detail } })) });
        }
        await audit(trx, { actor, ...event });
        changed = true;
        return result;
      });
      return result;
    } catch (err) {
      throw translateDbError(err);
    } finally {
      if (changed) this.opts.catalogue?.invalidate();
    }
  }

  /** Unique system_name across the four tables, and every reference pointing at an existing row. */
  private async checkRow(trx: Trx, kind: Kind, row: AnyRowInput, ownId: number | undefined): Promise<void> {
    const fields: FieldError[] = [];
    for (const other of KINDS) {
      const query = trx(TABLES[other]).where({ system_name: row.system_name });
      if (other === kind && ownId !== undefined) query.whereNot({ id: ownId });
      const owner = (await query.first('id')) as { id: number } | undefined;
      if (owner) {
        fields.push({ field: 'system_name', code: 'duplicate', params: { owner: `${TABLES[other]} id ${owner.id}` } });
        break;
      }
    }
    const refs: [string, Kind][] = [];
    if ('quality_of_registration_strength_id' in row) refs.push(['quality_of_registration_strength_id', 'strength']);
    if ('quality_of_authentication_id' in row) refs.push(['quality_of_authentication_id', 'qoa']);
    for (const [field, target] of refs) {
      const id = (row as Record<string, unknown>)[field] as number;
      const exists = await trx(TABLES[target]).where({ id }).first('id');
      if (!exists) fields.push({ field, code: 'reference_missing', params: { id } });
    }
    if (fields.length) throw new PolicyWriteError({ error: 'invalid_row', fields });
  }

  /** Rows of other tables that point at this row by id. */
  private async rowReferences(trx: Trx, kind: Kind, id: number): Promise<string[]> {
    const names = async (k: Kind, column: string) =>
      ((await trx(TABLES[k]).where(column, id).orderBy('id').select('system_name')) as { system_name: string }[]).map((r) => r.system_name);
    if (kind === 'strength') {
      return [...(await names('qor', 'quality_of_registration_strength_id')), ...(await names('lot', 'quality_of_registration_strength_id'))];
    }
    if (kind === 'qoa') return names('lot', 'quality_of_authentication_id');
    return [];
  }

  /**
   * What depends on a system_name that relying parties use as an acr value: clients' minimum and
   * default acr values, and the configuration (ADMIN_ACR). Strength names are not acr values.
   */
  private async nameReferences(trx: Trx, kind: Kind, systemName: string): Promise<string[]> {
    if (kind === 'strength') return [];
    const refs: string[] = [];
    for (const client of await listClients(trx)) {
      const minimum = (client as { minimum_acr?: unknown }).minimum_acr;
      const defaults = client.default_acr_values ?? [];
      if (minimum === systemName || defaults.includes(systemName)) refs.push(`client ${client.client_id}`);
    }
    if (this.opts.protectedNames?.includes(systemName)) refs.push('ADMIN_ACR');
    return refs;
  }

  private async refuseIfNamed(trx: Trx, kind: Kind, systemName: string): Promise<void> {
    const referencedBy = await this.nameReferences(trx, kind, systemName);
    if (referencedBy.length) throw new PolicyWriteError({ error: 'in_use', referencedBy });
  }
}

/** JSON with object keys sorted (jsonb does not keep the order they were sent in). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function asObject(input: unknown): Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
}

function fieldsOf(kind: Kind, row: StoredRow): Record<string, unknown> {
  return Object.fromEntries(FIELDS[kind].map((f) => [f, row[f]]));
}

function columnValues(kind: Kind, row: AnyRowInput): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const field of FIELDS[kind]) {
    const value = (row as Record<string, unknown>)[field];
    values[field] = field === 'checks' ? JSON.stringify(value) : value;
  }
  return values;
}

/** Every problem the engine would find in the catalogue as it stands in this transaction. */
async function catalogueProblems(trx: Trx): Promise<string[]> {
  const catalogue = await loadCatalogue(trx);
  const issues = catalogueIssues(catalogue);
  try {
    geofencedLevels(catalogue);
  } catch (err) {
    issues.push(err instanceof Error ? (err as { detail?: string }).detail ?? err.message : String(err));
  }
  return issues;
}

/** A constraint the checks above did not foresee (a concurrent writer without the lock). */
function translateDbError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (code === '23505') return new PolicyWriteError({ error: 'duplicate', fields: [{ field: 'system_name', code: 'duplicate', params: { owner: 'another row' } }] });
  if (code === '23503') return new PolicyWriteError({ error: 'in_use', referencedBy: ['another row'] });
  return err;
}
