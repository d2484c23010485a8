/**
 * The token endpoints' reads and writes, batched across concurrent requests: the tokens that
 * requests look up in the same turn of the event loop are read in one statement, and the writes
 * that several token (or authorization) requests commit in the same turn go in one statement
 * (one transaction).
 * Under load this divides the round trips to the database (each costs far more than the query)
 * by the number of requests in flight; a lone request still takes one statement for each.
 *
 * A request's writes are committed only when every code or refresh token it consumes was still
 * unconsumed and every interaction it ends was still there; otherwise nothing of that request is
 * written and it learns it lost the race.
 */
import DataLoader from 'dataloader';
import type { AdapterPayload } from 'oidc-provider';

import type { Db } from '../db/index.js';
import { asError, BATCH_OPTIONS, disjointGroups, run, statement, type Write } from '../db/statements.js';
import { pushGrantLogin, upsertGrantLogins, type GrantLoginArrays } from './grant-logins.js';
import { keyOf, type Key, type PendingGrantLogin, type PendingUpsert } from './request-scope.js';
import { SUBJECT_OF_LOGIN, SUBJECT_OF_TOKEN, type TokenSubjectRow } from './token-subject.js';

const TABLE = 'oidc_payloads';

export interface TokenRow extends Partial<TokenSubjectRow> {
  payload: AdapterPayload | string;
  consumed_at: Date | string | null;
  grant_payload: AdapterPayload | string | null;
  grant_consumed_at: Date | string | null;
  /** The session of a token that expires with it (`expiresWithSession`, found by `sessionUid`). */
  session_payload: AdapterPayload | string | null;
  session_consumed_at: Date | string | null;
}

export interface TokenLookup {
  model: string;
  id: string;
  /**
   * Also read the account the row is about (src/oidc/token-subject.ts): a token's (`token`), or a
   * session's or the login of an interaction being resumed (`login`).
   */
  subject?: 'token' | 'login' | undefined;
}

export interface Consume {
  model: string;
  id: string;
  at: Date;
}

/** A row removed (the authorization endpoint's finished interaction, which must still be there). */
export interface Destroy {
  model: string;
  id: string;
}

/** The writes of one request. */
export interface Commit {
  consumes: Consume[];
  upserts: PendingUpsert[];
  destroys?: Destroy[];
  /** Logins behind grants (src/oidc/grant-logins.ts). */
  grantLogins?: PendingGrantLogin[];
}

/**
 * Live rows `t` of the looked-up keys (`oidc_keys`, migrations/011: one row per key, so planned
 * once for any number of keys), each with its grant, its session when the token expires with it
 * (oidc-provider checks that session next: a code, and tokens without offline access), and its
 * subject. Each row is looked up by its key on its own (`lateral … limit 1`): a plain join leaves
 * the choice to the planner, which, before the table has statistics (a new database, its first
 * minute), chose to read every grant for each token.
 */
function findStatementText(subject: TokenLookup['subject']): string {
  const live = `(p.expires_at is null or p.expires_at > $3)`;
  return `select k.n, t.payload, t.consumed_at, g.payload as grant_payload, g.consumed_at as grant_consumed_at,
              ss.payload as session_payload, ss.consumed_at as session_consumed_at${subject ? ', s.*' : ''}
       from oidc_keys($1::text[], $2::text[]) k
       join lateral (select p.model, p.payload, p.consumed_at, p.grant_id from ${TABLE} p where p.model = k.model and p.id = k.id and ${live} limit 1) t on true
       left join lateral (select p.payload, p.consumed_at from ${TABLE} p where p.model = 'Grant' and p.id = t.grant_id and ${live} limit 1) g on true
       left join lateral (select p.payload, p.consumed_at from ${TABLE} p
                           where t.payload->>'expiresWithSession' = 'true' and p.uid = t.payload->>'sessionUid' and p.model = 'Session' and ${live}
                           limit 1) ss on true
       ${subject === 'token' ? SUBJECT_OF_TOKEN : subject === 'login' ? SUBJECT_OF_LOGIN : ''}`;
}

const FIND = {
  none: statement('oidc_tokens_find', findStatementText(undefined)),
  token: statement('oidc_tokens_find_with_subject', findStatementText('token')),
  login: statement('oidc_tokens_find_with_login_subject', findStatementText('login')),
};

/**
 * Rows `y` to save: parameter `$param`, one JSON array of `SavedRow`s (each payload as it is, not
 * a string in a string: one `JSON.stringify` for the whole batch, and PostgreSQL parses it once).
 */
function saveRows(param: number): string {
  return `insert into ${TABLE} (model, id, payload, grant_id, uid, user_code, expires_at, consumed_at)
          select y.model, y.id, y.payload, y.grant_id, y.uid, y.user_code, y.expires_at, y.consumed_at
            from jsonb_to_recordset($${param}::jsonb)
              as y(model text, id text, payload jsonb, grant_id text, uid text, user_code text, expires_at timestamptz, consumed_at timestamptz, req int)`;
}
const ON_CONFLICT = `on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
             user_code = excluded.user_code, expires_at = excluded.expires_at, consumed_at = excluded.consumed_at`;

/**
 * Consumes the rows `x`; for each request `r` whose consumptions all took, ends the interactions
 * it finishes (`z` rows of model Interaction: an interaction is used once, as oidc-provider's own
 * resume makes sure: two resumptions of one login at once must not both get a code); then, for each
 * request whose interactions were all still there (`e`: how many it ends), saves its rows `y`,
 * removes its other rows `z` and records the logins `w` behind its grants.
 *
 * Each row it updates or deletes is found by its key (`lateral … limit 1`, as `findStatementText`
 * does) and then changed through its physical address (`ctid`): a plain join of the keys with the
 * table leaves the choice to the planner, and the generic plan made while the table was small and
 * never analysed (a new database, its first minute) read the whole table, or every interaction,
 * for each row, and kept doing so as the table grew. A row changed by another transaction in
 * between is seen as PostgreSQL sees it in READ COMMITTED: a consumption or an end is checked again
 * on the row's latest version, and a row consumed or removed meanwhile is not consumed or removed
 * twice (the request lost the race).
 */
const keyed = (keys: string, model: string) =>
  `cross join lateral (select q.ctid from ${TABLE} q where q.model = ${model} and q.id = ${keys}.id limit 1) k`;
const COMMIT = statement(
  'oidc_tokens_commit',
  `with c as (
          update ${TABLE} p set consumed_at = ($3::timestamptz[])[x.n]
            from oidc_keys($1::text[], $2::text[]) x ${keyed('x', 'x.model')}
           where p.ctid = k.ctid and p.consumed_at is null
       returning ($4::int[])[x.n] as req),
        consumed as (
          select r.req from unnest($5::int[], $6::int[]) as r(req, needed)
           where r.needed = (select count(*) from c where c.req = r.req)),
        ended as (
          delete from ${TABLE} p using oidc_keys($8::text[], $9::text[]) z ${keyed('z', "'Interaction'")}
           where z.model = 'Interaction' and p.ctid = k.ctid and ($10::int[])[z.n] in (select req from consumed)
       returning ($10::int[])[z.n] as req),
        ok as (
          select r.req from unnest($5::int[], $11::int[]) as r(req, ends)
           where r.req in (select req from consumed) and r.ends = (select count(*) from ended e where e.req = r.req)),
        u as (${saveRows(7)} where y.req in (select req from ok) ${ON_CONFLICT}),
        d as (delete from ${TABLE} p using oidc_keys($8::text[], $9::text[]) z ${keyed('z', 'z.model')}
               where z.model <> 'Interaction' and p.ctid = k.ctid and ($10::int[])[z.n] in (select req from ok)),
        w as (${upsertGrantLogins(12, 'req in (select req from ok)')})
   select req from ok`,
);

/** Saves rows when no request of the group consumes anything (client credentials). */
const SAVE = statement('oidc_tokens_save', `${saveRows(1)} ${ON_CONFLICT}`);

/** The batched statements whose plans the tests check. */
export const TOKEN_STATEMENTS = { find: FIND.none, findWithSubject: FIND.token, findWithLoginSubject: FIND.login, commit: COMMIT } as const;

interface SavedRow {
  model: string;
  id: string;
  payload: AdapterPayload;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  /** ISO 8601. */
  expires_at: string | null;
  consumed_at: Date | null;
  /** The request (of a commit's group) the row belongs to. */
  req: number;
}

/** A row to save, of request `req`, as `saveRows` reads it. */
function savedRow(u: PendingUpsert, req: number): SavedRow {
  return {
    model: u.model,
    id: u.id,
    payload: u.payload,
    grant_id: u.payload.grantId ?? null,
    uid: u.payload.uid ?? null,
    user_code: u.payload.userCode ?? null,
    expires_at: u.expiresIn ? new Date(Date.now() + u.expiresIn * 1000).toISOString() : null,
    consumed_at: u.consumedAt,
    req,
  };
}

/** Saves one row at once (outside the token endpoint's batches). */
export async function saveRow(db: Db, upsert: PendingUpsert): Promise<void> {
  await run(db, SAVE, saveWrite(upsert).values);
}

/** The save of one row as a write to commit with others (`runWrites`). */
export function saveWrite(upsert: PendingUpsert): Write {
  return { text: SAVE.text, values: [JSON.stringify([savedRow(upsert, 0)])], row: `${TABLE}:${keyOf(upsert.model, upsert.id)}` };
}

/**
 * The rows a commit changes: commits are split into groups whose rows are disjoint (one statement
 * never changes a row twice), so two requests consuming the same refresh token are committed one
 * after the other and the second finds it consumed.
 */
const keysOfCommit = (commit: Commit): Key[] => [
  ...[...commit.consumes, ...commit.upserts, ...(commit.destroys ?? [])].map((r) => keyOf(r.model, r.id)),
  ...(commit.grantLogins ?? []).map((login) => keyOf('grant_logins', login.grantId)),
];

async function commitGroup(db: Db, commits: Commit[]): Promise<boolean[]> {
  const x: [string[], string[], string[], number[]] = [[], [], [], []];
  const r: [number[], number[]] = [[], []];
  const y: SavedRow[] = [];
  const z: [string[], string[], number[]] = [[], [], []];
  /** Interactions each request ends. */
  const e: number[] = [];
  const w: GrantLoginArrays = [[], [], [], [], [], []];
  commits.forEach((commit, req) => {
    for (const c of commit.consumes) {
      x[0].push(c.model);
      x[1].push(c.id);
      x[2].push(c.at.toISOString());
      x[3].push(req);
    }
    r[0].push(req);
    r[1].push(commit.consumes.length);
    for (const u of commit.upserts) y.push(savedRow(u, req));
    const destroys = commit.destroys ?? [];
    for (const d of destroys) {
      z[0].push(d.model);
      z[1].push(d.id);
      z[2].push(req);
    }
    e.push(destroys.filter((d) => d.model === 'Interaction').length);
    for (const login of commit.grantLogins ?? []) pushGrantLogin(w, login, req);
  });
  if (!x[0].length && !z[0].length && !w[0].length) {
    await run(db, SAVE, [JSON.stringify(y)]);
    return commits.map(() => true);
  }
  // No keys: null, for which the (strict) key function is not called at all.
  const keys = <T>(list: T[]): T[] | null => (list.length ? list : null);
  const { rows } = await run<{ req: number }>(db, COMMIT, [keys(x[0]), keys(x[1]), x[2], x[3], ...r, JSON.stringify(y), keys(z[0]), keys(z[1]), z[2], e, ...w]);
  const ok = new Set(rows.map((row) => Number(row.req)));
  return commits.map((_, req) => ok.has(req));
}

export interface TokenBatches {
  find(lookup: TokenLookup): Promise<TokenRow | undefined>;
  /**
   * True when written; false (nothing written) when a row to consume was already consumed, or an
   * interaction to end was already gone.
   */
  commit(commit: Commit): Promise<boolean>;
}

const byDb = new WeakMap<Db, TokenBatches>();

/** The batches of a database (one per process, shared by every adapter model and request). */
export function tokenBatches(db: Db): TokenBatches {
  let batches = byDb.get(db);
  if (!batches) {
    batches = createBatches(db);
    byDb.set(db, batches);
  }
  return batches;
}

function createBatches(db: Db): TokenBatches {
  const finds = new DataLoader<TokenLookup, TokenRow | undefined>(
    async (lookups) => {
      const results: (TokenRow | undefined)[] = new Array(lookups.length).fill(undefined);
      for (const subject of ['none', 'token', 'login'] as const) {
        const indexes = lookups.flatMap((l, i) => ((l.subject ?? 'none') === subject ? [i] : []));
        if (!indexes.length) continue;
        const picked = indexes.map((i) => lookups[i]!);
        const { rows } = await run<TokenRow & { n: number | string }>(db, FIND[subject], [
          picked.map((l) => l.model),
          picked.map((l) => l.id),
          new Date(),
        ]);
        for (const row of rows) results[indexes[Number(row.n) - 1]!] = row;
      }
      return results;
    },
    BATCH_OPTIONS,
  );

  const commits = new DataLoader<Commit, boolean>(
    async (batch) => {
      // A group that fails fails its own requests only: the groups before it were committed.
      const results: (boolean | Error)[] = new Array(batch.length).fill(false);
      for (const members of disjointGroups(batch, keysOfCommit)) {
        try {
          const written = await commitGroup(db, members.map((i) => batch[i]!));
          members.forEach((i, k) => (results[i] = written[k]!));
        } catch (err) {
          const error = asError(err);
          members.forEach((i) => (results[i] = error));
        }
      }
      return results;
    },
    BATCH_OPTIONS,
  );

  return {
    find: (lookup) => finds.load(lookup),
    commit: (commit) => commits.load(commit),
  };
}
