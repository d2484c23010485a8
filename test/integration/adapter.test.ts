import type { Context } from 'koa';
import Provider from 'oidc-provider';
import providerRequests from 'oidc-provider/lib/helpers/als.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findOrCreateAccount } from '../../src/accounts/index.js';

import { createDb, type Db } from '../../src/db/index.js';
import { createAdapter, saveWriteOf, sweepExpired } from '../../src/oidc/adapter.js';
import { recordGrantLogin, sweepGrantLogins } from '../../src/oidc/grant-logins.js';
import { run, runWrites, statement } from '../../src/db/statements.js';
import { RequestScope, runInScope, type ScopeKind } from '../../src/oidc/request-scope.js';
import { TOKEN_STATEMENTS, tokenBatches, type Commit } from '../../src/oidc/token-batches.js';
import { loadTokenSubject } from '../../src/oidc/token-subject.js';
import { migratedDb } from '../helpers/db.js';

let db: Db;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await migratedDb());
});
afterAll(async () => cleanup());

describe('knex adapter contract', () => {
  it('upserts, finds and updates a payload', async () => {
    const Adapter = createAdapter(db);
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a1', jti: 's1' }, 60);
    expect(await sessions.find('s1')).toEqual({ uid: 'u1', accountId: 'a1', jti: 's1' });
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a2', jti: 's1' }, 60);
    expect((await sessions.find('s1'))?.accountId).toBe('a2');
    expect(await sessions.find('missing')).toBeUndefined();
  });

  it('keeps models apart', async () => {
    const Adapter = createAdapter(db);
    await new Adapter('AccessToken').upsert('same-id', { kind: 'AccessToken' }, 60);
    await new Adapter('RefreshToken').upsert('same-id', { kind: 'RefreshToken' }, 60);
    expect((await new Adapter('AccessToken').find('same-id'))?.kind).toBe('AccessToken');
    expect((await new Adapter('RefreshToken').find('same-id'))?.kind).toBe('RefreshToken');
  });

  it('finds sessions by uid and device codes by user code', async () => {
    const Adapter = createAdapter(db);
    await new Adapter('Session').upsert('s2', { uid: 'uid-2' }, 60);
    await new Adapter('DeviceCode').upsert('d1', { userCode: 'ABCD-EFGH', grantId: 'g9' }, 60);
    expect((await new Adapter('Session').findByUid('uid-2'))?.uid).toBe('uid-2');
    expect(await new Adapter('Session').findByUid('nope')).toBeUndefined();
    expect((await new Adapter('DeviceCode').findByUserCode('ABCD-EFGH'))?.grantId).toBe('g9');
    expect(await new Adapter('DeviceCode').findByUserCode('ZZZZ')).toBeUndefined();
  });

  it('marks consumed payloads', async () => {
    const codes = new (createAdapter(db))('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    expect((await codes.find('c1'))?.consumed).toBeUndefined();
    await codes.consume('c1');
    expect((await codes.find('c1'))?.consumed).toBe(true);
  });

  it('destroys a payload', async () => {
    const tokens = new (createAdapter(db))('AccessToken');
    await tokens.upsert('t1', { grantId: 'g2' }, 60);
    await tokens.destroy('t1');
    expect(await tokens.find('t1')).toBeUndefined();
  });

  it('revokes everything issued under a grant, across models', async () => {
    const Adapter = createAdapter(db);
    await new Adapter('AuthorizationCode').upsert('c3', { grantId: 'g3' }, 60);
    await new Adapter('AccessToken').upsert('t3', { grantId: 'g3' }, 60);
    await new Adapter('RefreshToken').upsert('r3', { grantId: 'g3' }, 60);
    await new Adapter('AccessToken').upsert('t4', { grantId: 'other' }, 60);
    await new Adapter('AccessToken').revokeByGrantId('g3');
    expect(await new Adapter('AuthorizationCode').find('c3')).toBeUndefined();
    expect(await new Adapter('AccessToken').find('t3')).toBeUndefined();
    expect(await new Adapter('RefreshToken').find('r3')).toBeUndefined();
    expect(await new Adapter('AccessToken').find('t4')).toBeDefined();
  });

  it('does not return expired payloads and sweeps them', async () => {
    const Adapter = createAdapter(db);
    const tokens = new Adapter('AccessToken');
    await tokens.upsert('old', { grantId: 'g5' }, 1);
    await tokens.upsert('forever', { grantId: 'g6' }, 0);
    expect(await tokens.find('old')).toBeDefined();
    await db('oidc_payloads').where({ id: 'old' }).update({ expires_at: new Date(Date.now() - 1000) });
    expect(await tokens.find('old')).toBeUndefined();
    const removed = await sweepExpired(db);
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(await db('oidc_payloads').where({ id: 'old' }).first()).toBeUndefined();
    expect(await tokens.find('forever')).toBeDefined();
  });

  it('caches clients only for the configured time and forgets them on change', async () => {
    const Adapter = createAdapter(db, { clientCacheSeconds: 60 });
    const clients = new Adapter('Client');
    await clients.upsert('rp1', { client_id: 'rp1', client_name: 'one' }, 0);
    expect((await clients.find('rp1'))?.client_name).toBe('one');
    await clients.upsert('rp1', { client_id: 'rp1', client_name: 'two' }, 0);
    expect((await clients.find('rp1'))?.client_name).toBe('two');
    await clients.destroy('rp1');
    expect(await clients.find('rp1')).toBeUndefined();
  });
});

describe('token reads and writes batched across requests', () => {
  const upsert = (model: string, id: string, grantId: string): Commit['upserts'][number] => ({
    model,
    id,
    payload: { jti: id, grantId, accountId: 'not-an-account' },
    expiresIn: 600,
    consumedAt: null,
  });

  it('reads the tokens asked for in the same turn in one go, each with its grant, missing and expired ones as nothing', async () => {
    const Adapter = createAdapter(db);
    await new Adapter('Grant').upsert('bg1', { jti: 'bg1', accountId: 'a1' }, 600);
    await new Adapter('RefreshToken').upsert('br1', { jti: 'br1', grantId: 'bg1' }, 600);
    await new Adapter('AccessToken').upsert('ba1', { jti: 'ba1', grantId: 'gone' }, 600);
    await new Adapter('AccessToken').upsert('bexpired', { jti: 'bexpired', grantId: 'bg1' }, 600);
    await db('oidc_payloads').where({ id: 'bexpired' }).update({ expires_at: new Date(Date.now() - 1000) });

    const batches = tokenBatches(db);
    const [refresh, access, missing, expired, wrongModel] = await Promise.all([
      batches.find({ model: 'RefreshToken', id: 'br1' }),
      batches.find({ model: 'AccessToken', id: 'ba1', subject: 'token' }),
      batches.find({ model: 'AccessToken', id: 'nope' }),
      batches.find({ model: 'AccessToken', id: 'bexpired' }),
      batches.find({ model: 'AccessToken', id: 'br1' }),
    ]);
    expect(refresh?.payload).toMatchObject({ jti: 'br1' });
    expect(refresh?.grant_payload).toMatchObject({ jti: 'bg1', accountId: 'a1' });
    expect(access?.payload).toMatchObject({ jti: 'ba1' });
    expect(access?.grant_payload).toBeNull();
    expect(access?.subject_account ?? null).toBeNull();
    expect(missing).toBeUndefined();
    expect(expired).toBeUndefined();
    expect(wrongModel).toBeUndefined();
  });

  it('reads the session of a token that expires with it, by its uid, and no session otherwise', async () => {
    const Adapter = createAdapter(db);
    await new Adapter('Session').upsert('bs1', { jti: 'bs1', uid: 'bsu1', accountId: 'a1' }, 600);
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('bc1', { jti: 'bc1', grantId: 'bg1', expiresWithSession: true, sessionUid: 'bsu1' }, 600);
    await codes.upsert('bc2', { jti: 'bc2', grantId: 'bg1', expiresWithSession: false, sessionUid: 'bsu1' }, 600);
    await codes.upsert('bc3', { jti: 'bc3', grantId: 'bg1', expiresWithSession: true, sessionUid: 'ended' }, 600);

    const batches = tokenBatches(db);
    const [bound, unbound, ended] = await Promise.all(['bc1', 'bc2', 'bc3'].map((id) => batches.find({ model: 'AuthorizationCode', id })));
    expect(bound?.session_payload).toMatchObject({ jti: 'bs1', uid: 'bsu1', accountId: 'a1' });
    expect(unbound?.session_payload).toBeNull();
    expect(ended?.payload).toMatchObject({ jti: 'bc3' });
    expect(ended?.session_payload).toBeNull();
  });

  it('looks each token and its grant up by key, even before the table has statistics', async () => {
    const Adapter = createAdapter(db);
    const grants = new Adapter('Grant');
    // A new database: a few hundred grants, never analysed.
    for (let i = 0; i < 300; i++) await grants.upsert(`pg${i}`, { jti: `pg${i}`, accountId: 'a1' }, 600);
    await new Adapter('RefreshToken').upsert('pr1', { jti: 'pr1', grantId: 'pg7' }, 600);
    const explain = statement('explain_tokens_find', `explain (costs off) ${TOKEN_STATEMENTS.findWithSubject.text}`, { plan: 'each' });
    const { rows } = await run<{ 'QUERY PLAN': string }>(db, explain, [['RefreshToken'], ['pr1'], new Date()]);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).not.toMatch(/Seq Scan on oidc_payloads/);
    expect(plan).toMatch(/Index Cond: \(\(\(model\)::text = 'Grant'::text\) AND \(\(id\)::text = \(\w+\.grant_id\)::text\)\)/);
    expect(plan).toMatch(/Index Scan using oidc_payloads_uid on oidc_payloads/);
  });

  it('commits by key, even on the plan PostgreSQL keeps from before the table had statistics', async () => {
    const Adapter = createAdapter(db);
    const interactions = new Adapter('Interaction');
    // A new database: a few hundred interactions and codes, never analysed.
    for (let i = 0; i < 300; i++) await interactions.upsert(`ci${i}`, { jti: `ci${i}` }, 600);
    for (let i = 0; i < 50; i++) await new Adapter('AuthorizationCode').upsert(`cc${i}`, { jti: `cc${i}`, grantId: `cg${i}` }, 600);
    const none = (n: number) => Array(n).fill(`'{}'`);
    const args = [`'{AuthorizationCode}'`, `'{cc1}'`, 'array[now()]', `'{0}'`, `'{0}'`, `'{1}'`, `'[]'`, `'{Interaction,Session}'`, `'{ci1,cs1}'`, `'{0,0}'`, `'{1}'`, ...none(6)];
    const trx = await db.transaction();
    try {
      await trx.raw(`prepare commit_generic as ${TOKEN_STATEMENTS.commit.text}`);
      await trx.raw('set local plan_cache_mode = force_generic_plan');
      const explained = await trx.raw(`explain (costs off) execute commit_generic(${args.join(', ')})`);
      await trx.raw('deallocate commit_generic');
      const plan = (explained.rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).not.toMatch(/Seq Scan on oidc_payloads/);
      // Not every interaction read for the one to end.
      expect(plan).not.toMatch(/Index Cond: \(\(model\)::text = 'Interaction'::text\)\n/);
      expect(plan.match(/Tid Scan on oidc_payloads p/g)).toHaveLength(3);
      expect(plan.match(/Index Cond: \(\(\(model\)::text = [^)]+\) AND \(\(id\)::text = \w+\.id\)\)/g)).toHaveLength(3);
    } finally {
      await trx.rollback();
    }
  });

  it('plans the batched token statements once, each key looked up through its index', async () => {
    // A table of a few hundred logins with statistics: small enough that reading it whole looked
    // cheaper than the ten lookups by key PostgreSQL assumes for an array parameter.
    await db.raw(`insert into oidc_payloads (model, id, payload, grant_id, uid, expires_at, consumed_at)
      select m.model, m.model || i, jsonb_build_object('jti', m.model || i, 'pad', repeat('x', 500)), 'kg' || i,
             case when m.model = 'Session' then 'ku' || i end, now() + interval '1 hour', case when m.model = 'AuthorizationCode' and i % 4 > 0 then now() end
        from generate_series(1, 400) i, (values ('AuthorizationCode'), ('Grant'), ('Session')) as m(model)`);
    await db.raw('analyze oidc_payloads');
    const none = (n: number) => Array(n).fill(`'{}'`);
    const cases = [
      ['plan_commit', TOKEN_STATEMENTS.commit.text, [`'{AuthorizationCode}'`, `'{AuthorizationCode8}'`, 'array[now()]', `'{0}'`, `'{0}'`, `'{1}'`, `'[]'`, ...none(10)], [/Update on oidc_payloads p\n(.*\n)+.*Index Scan using oidc_payloads_pkey on oidc_payloads q\n(.*\n)+.*Tid Scan on oidc_payloads p\n/]],
      ['plan_find', TOKEN_STATEMENTS.findWithSubject.text, [`'{AuthorizationCode}'`, `'{AuthorizationCode4}'`, 'now()'], [/Index Scan using oidc_payloads_pkey/, /Index Scan using oidc_payloads_uid/]],
      ['plan_find_login', TOKEN_STATEMENTS.findWithLoginSubject.text, [`'{Session,Interaction}'`, `'{Session4,Interaction4}'`, 'now()'], [/Index Scan using oidc_payloads_pkey/, /Index Scan using accounts_pkey/]],
      ['plan_find_plain', TOKEN_STATEMENTS.find.text, [`'{Interaction}'`, `'{Interaction4}'`, 'now()'], [/Index Scan using oidc_payloads_pkey/]],
    ] as const;
    const trx = await db.transaction();
    try {
      for (const [name, text, args, uses] of cases) {
        await trx.raw(`prepare ${name} as ${text}`);
        // PostgreSQL plans the first five executions for their values, then keeps a generic plan if it is no dearer.
        for (let i = 0; i < 6; i++) await trx.raw(`execute ${name}(${args.join(', ')})`);
        const { rows } = await trx.raw(`select generic_plans from pg_prepared_statements where name = '${name}'`);
        expect(Number(rows[0].generic_plans), name).toBeGreaterThan(0);
        await trx.raw('set local plan_cache_mode = force_generic_plan');
        const explained = await trx.raw(`explain (costs off) execute ${name}(${args.join(', ')})`);
        const plan = (explained.rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
        expect(plan, name).not.toMatch(/Seq Scan on oidc_payloads/);
        for (const index of uses) expect(plan, name).toMatch(index);
        await trx.raw('set local plan_cache_mode = auto');
      }
    } finally {
      await trx.rollback();
      for (const [name] of cases) await db.raw(`deallocate ${name}`).catch(() => undefined);
    }
  });

  it('commits the writes of concurrent requests together, each only if what it consumes was still unconsumed', async () => {
    const Adapter = createAdapter(db);
    const refresh = new Adapter('RefreshToken');
    await refresh.upsert('cr1', { jti: 'cr1', grantId: 'cg1' }, 600);
    await refresh.upsert('cr2', { jti: 'cr2', grantId: 'cg2' }, 600);
    await refresh.upsert('cr3', { jti: 'cr3', grantId: 'cg3' }, 600);
    await refresh.consume('cr3');

    const at = new Date();
    const batches = tokenBatches(db);
    const results = await Promise.all([
      batches.commit({ consumes: [{ model: 'RefreshToken', id: 'cr1', at }], upserts: [upsert('RefreshToken', 'cr1-next', 'cg1'), upsert('AccessToken', 'ca1', 'cg1')] }),
      batches.commit({ consumes: [{ model: 'RefreshToken', id: 'cr2', at }], upserts: [upsert('RefreshToken', 'cr2-next', 'cg2')] }),
      // The same refresh token as the first request: it lost the race and writes nothing.
      batches.commit({ consumes: [{ model: 'RefreshToken', id: 'cr1', at }], upserts: [upsert('RefreshToken', 'cr1-other', 'cg1')] }),
      // Consumed before: nothing written.
      batches.commit({ consumes: [{ model: 'RefreshToken', id: 'cr3', at }], upserts: [upsert('RefreshToken', 'cr3-next', 'cg3')] }),
      batches.commit({ consumes: [], upserts: [upsert('ClientCredentials', 'cc1', 'none')] }),
    ]);
    expect(results).toEqual([true, true, false, false, true]);
    expect((await refresh.find('cr1'))?.consumed).toBe(true);
    expect((await refresh.find('cr2'))?.consumed).toBe(true);
    expect(await refresh.find('cr1-next')).toMatchObject({ jti: 'cr1-next', grantId: 'cg1' });
    expect(await new Adapter('AccessToken').find('ca1')).toMatchObject({ jti: 'ca1' });
    expect(await refresh.find('cr2-next')).toBeDefined();
    expect(await refresh.find('cr1-other')).toBeUndefined();
    expect(await refresh.find('cr3-next')).toBeUndefined();
    expect(await new Adapter('ClientCredentials').find('cc1')).toBeDefined();
  });

  it('commits an authorization request\'s writes in one go: saves, removals and the logins behind grants', async () => {
    const Adapter = createAdapter(db);
    const interactions = new Adapter('Interaction');
    await interactions.upsert('ai1', { jti: 'ai1' }, 600);
    const at = new Date();
    const batches = tokenBatches(db);
    const results = await Promise.all([
      batches.commit({
        consumes: [],
        upserts: [upsert('Grant', 'ag1', 'unused'), upsert('AuthorizationCode', 'ac1', 'ag1')],
        destroys: [{ model: 'Interaction', id: 'ai1' }],
        grantLogins: [{ grantId: 'ag1', sessionUid: 'asu1', serial: 'SERIAL-A', at }],
      }),
      // A token request in the same turn: committed with it, its consumption checked as always.
      batches.commit({ consumes: [{ model: 'AuthorizationCode', id: 'missing', at }], upserts: [upsert('AccessToken', 'aa1', 'ag1')] }),
    ]);
    expect(results).toEqual([true, false]);
    expect(await interactions.find('ai1')).toBeUndefined();
    expect(await new Adapter('AuthorizationCode').find('ac1')).toMatchObject({ jti: 'ac1', grantId: 'ag1' });
    expect(await new Adapter('AccessToken').find('aa1')).toBeUndefined();
    expect(await db('grant_logins').where({ grant_id: 'ag1' }).first('session_uid', 'serial')).toEqual({ session_uid: 'asu1', serial: 'SERIAL-A' });
  });

  it('ends an interaction once: of two requests finishing it at the same moment, the second writes nothing', async () => {
    const Adapter = createAdapter(db);
    const interactions = new Adapter('Interaction');
    await interactions.upsert('ei1', { jti: 'ei1' }, 600);
    const batches = tokenBatches(db);
    const finishing = (code: string) => ({
      consumes: [],
      upserts: [upsert('Grant', `${code}-grant`, 'unused'), upsert('AuthorizationCode', code, `${code}-grant`)],
      destroys: [{ model: 'Interaction', id: 'ei1' }, { model: 'Session', id: `${code}-old-session` }],
    });
    // The same turn (one batch: the second is committed after the first) and, once it is gone, later.
    expect(await Promise.all([batches.commit(finishing('ec1')), batches.commit(finishing('ec2'))])).toEqual([true, false]);
    expect(await batches.commit(finishing('ec3'))).toBe(false);
    expect(await interactions.find('ei1')).toBeUndefined();
    const codes = new Adapter('AuthorizationCode');
    expect(await codes.find('ec1')).toMatchObject({ jti: 'ec1' });
    expect(await codes.find('ec2')).toBeUndefined();
    expect(await codes.find('ec3')).toBeUndefined();
    expect(await new Adapter('Grant').find('ec2-grant')).toBeUndefined();
  });

  it('fails the commits of a database it cannot reach, with the driver error', async () => {
    const unreachable = createDb({ databaseUrl: 'postgres://postgres@127.0.0.1:9/none', poolMax: 1 });
    try {
      const at = new Date();
      await expect(tokenBatches(unreachable).commit({ consumes: [{ model: 'RefreshToken', id: 'x', at }], upserts: [upsert('RefreshToken', 'y', 'g')] })).rejects.toThrow(
        /ECONNREFUSED|connect/,
      );
    } finally {
      await unreachable.destroy();
    }
  });

  it('reads no subject for a token whose account does not exist', async () => {
    expect(await loadTokenSubject(db, '6f1c2b9e-8a47-4d3e-9b1a-2c5d7e8f9a0b', 'g1')).toBeUndefined();
    expect(await loadTokenSubject(db, 'not-a-uuid', 'g1')).toBeUndefined();
  });
});

describe('the account read along with a session or an interaction', () => {
  /** Runs `fn` as oidc-provider runs the handling of a request, in a request scope of this kind. */
  const inRequest = <T>(kind: ScopeKind, fn: () => Promise<T>): Promise<T> => {
    const ctx = {} as Context;
    return providerRequests.run(ctx, () => runInScope(ctx, new RequestScope(kind), fn));
  };
  const authorization: ScopeKind = { deferWrites: 'saves', readSubject: true };

  it('keeps the account of the login being resumed, and of a session, for the account lookup of the same request', async () => {
    const { account } = await findOrCreateAccount(db, '+41790000101', 'MIDCHEA1');
    const other = (await findOrCreateAccount(db, '+41790000102', 'MIDCHEA2')).account;
    const Adapter = createAdapter(db);
    await new Adapter('Interaction').upsert('ri1', { jti: 'ri1', kind: 'Interaction', result: { login: { accountId: account.id } } }, 600);
    await new Adapter('Session').upsert('rs1', { jti: 'rs1', uid: 'rsu1', accountId: other.id }, 600);

    const seen = await inRequest(authorization, async () => {
      const interaction = await new Adapter('Interaction').find('ri1');
      const session = await new Adapter('Session').find('rs1');
      // Gone from the table now: what the lookups below return was read with the rows above.
      await db('accounts').whereIn('id', [account.id, other.id]).update({ msisdn: db.raw(`msisdn || '-moved'`) });
      return {
        interaction,
        session,
        resumed: await loadTokenSubject(db, account.id, undefined),
        sessionAccount: await loadTokenSubject(db, other.id, undefined),
      };
    });
    expect(seen.interaction).toMatchObject({ jti: 'ri1', result: { login: { accountId: account.id } } });
    expect(seen.session).toMatchObject({ jti: 'rs1', accountId: other.id });
    expect(seen.resumed?.account).toMatchObject({ id: account.id, msisdn: '+41790000101' });
    expect(seen.resumed?.serial).toBeNull();
    expect(seen.sessionAccount?.account).toMatchObject({ id: other.id, msisdn: '+41790000102' });
    // Outside such a request, the account is read as it is now.
    expect((await loadTokenSubject(db, account.id, undefined))?.account.msisdn).toBe('+41790000101-moved');
  });

  it('reads no account for an interaction without a login, or whose account does not exist', async () => {
    const Adapter = createAdapter(db);
    await new Adapter('Interaction').upsert('ri2', { jti: 'ri2', kind: 'Interaction' }, 600);
    await new Adapter('Interaction').upsert('ri3', { jti: 'ri3', kind: 'Interaction', result: { login: { accountId: '6f1c2b9e-8a47-4d3e-9b1a-2c5d7e8f9a0b' } } }, 600);
    const seen = await inRequest(authorization, async () => ({
      plain: await new Adapter('Interaction').find('ri2'),
      unknown: await new Adapter('Interaction').find('ri3'),
      account: await loadTokenSubject(db, '6f1c2b9e-8a47-4d3e-9b1a-2c5d7e8f9a0b', undefined),
      missing: await new Adapter('Interaction').find('nope'),
    }));
    expect(seen.plain).toMatchObject({ jti: 'ri2' });
    expect(seen.unknown).toMatchObject({ jti: 'ri3' });
    expect(seen.account).toBeUndefined();
    expect(seen.missing).toBeUndefined();
  });
});

describe('a model saved with other writes', () => {
  it('writes what the model\'s own save writes, and only when committed with the others', async () => {
    const provider = new Provider('http://localhost:3999', { adapter: createAdapter(db), features: { devInteractions: { enabled: false } } });
    const payload = { params: { client_id: 'c1', scope: 'openid' }, prompt: { name: 'login', reasons: [], details: {} }, returnTo: 'http://localhost:3999/auth/x' };
    // As oidc-provider makes an interaction at the authorization endpoint (its typings leave the arguments out).
    const Interaction = provider.Interaction as unknown as new (jti: string, payload: object) => InstanceType<typeof provider.Interaction>;
    const saved = new Interaction('sw1', payload);
    await saved.save(600);
    const kept = new Interaction('sw2', payload);
    kept.result = { login: { accountId: 'a1' } };
    const write = await saveWriteOf(kept, 600);
    expect(await provider.Interaction.find('sw2')).toBeUndefined();

    await runWrites(db, [{ text: 'insert into audit_events (actor, action) values ($1, $2)', values: ['test', 'saved-with'], row: null }, write]);
    const found = await provider.Interaction.find('sw2');
    const reference = await provider.Interaction.find('sw1');
    expect(found).toMatchObject({ ...payload, result: { login: { accountId: 'a1' } }, kind: 'Interaction', jti: 'sw2' });
    expect(Object.keys(found!).sort()).toEqual([...Object.keys(reference!), 'result'].sort());
    const [row] = (await db('oidc_payloads').where({ model: 'Interaction', id: 'sw2' })) as { expires_at: Date }[];
    expect(Math.abs(row!.expires_at.getTime() - (Date.now() + 600_000))).toBeLessThan(5_000);
    expect(await db('audit_events').where({ action: 'saved-with' })).toHaveLength(1);

    // The model's own adapter is back: a later save writes at once.
    kept.result = { login: { accountId: 'a2' } };
    await kept.save(600);
    expect((await provider.Interaction.find('sw2'))?.result).toEqual({ login: { accountId: 'a2' } });
  });
});

describe('the login behind each grant', () => {
  const serialOfGrant = async (grantId: string) =>
    ((await db('grant_logins').where({ grant_id: grantId }).first('serial')) as { serial: string | null } | undefined)?.serial ?? null;

  it('records the serial of a finished login, lets a single sign-on grant inherit it, and forgets revoked grants', async () => {
    const Grants = new (createAdapter(db))('Grant');
    await Grants.upsert('g1', { jti: 'g1', accountId: 'a1', clientId: 'c1' }, 600);
    await Grants.upsert('g2', { jti: 'g2', accountId: 'a1', clientId: 'c2' }, 600);
    const details = { geofencedLevels: ['urn:lot:ch'], location: { country: 'CH', accuracy: 20, locationConfidence: 0.9, deviceConfidence: 0.8, timestamp: '2026-11-24T10:00:00Z' } };
    await recordGrantLogin(db, 'g1', 'session-1', { serial: 'SERIAL-A', details });
    // A second client in the same session, without a new login: the session's serial and details.
    await recordGrantLogin(db, 'g2', 'session-1', undefined);
    expect(await serialOfGrant('g2')).toBe('SERIAL-A');
    const inherited = (await db('grant_logins').where({ grant_id: 'g2' }).first('login')) as { login: unknown };
    expect(typeof inherited.login === 'string' ? JSON.parse(inherited.login) : inherited.login).toEqual(details);
    // A new login renews the grant with its own serial and details; single sign-on later does not change it.
    await recordGrantLogin(db, 'g1', 'session-1', { serial: 'SERIAL-B' });
    await recordGrantLogin(db, 'g1', 'session-1', undefined);
    expect(await serialOfGrant('g1')).toBe('SERIAL-B');
    expect(await serialOfGrant('unknown')).toBeNull();

    await Grants.destroy('g2');
    expect(await sweepGrantLogins(db)).toBe(1);
    expect(await serialOfGrant('g2')).toBeNull();
    expect(await serialOfGrant('g1')).toBe('SERIAL-B');
  });
});
