/**
 * Starting Mobile ID logins against the database: the one statement that checks the rate limits
 * and the number's pending request and claims it, a pending request whose time is up, two starts
 * for one number at once, and a start that Mobile ID refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { accountFromRow, findOrCreateAccount } from '../../src/accounts/index.js';
import type { Db } from '../../src/db/index.js';
import { run, runWrites, statement } from '../../src/db/statements.js';
import { CertificateStore } from '../../src/mobileid/certificates.js';
import type { MobileIdClient } from '../../src/mobileid/client.js';
import { MobileIdError } from '../../src/mobileid/errors.js';
import { LOGIN_STATEMENTS, MobileIdLogins, type MobileIdLoginSettings, type StartLogin } from '../../src/mobileid/login.js';
import { SIGNATURE_PROFILES } from '../../src/mobileid/protocol.js';
import type { ProfileResult, SignatureAccepted, StatusResult } from '../../src/mobileid/responses.js';
import { migratedDb } from '../helpers/db.js';
import { issue, signCms, type Issued } from '../unit/mobileid/helpers.js';

let db: Db;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ db, cleanup } = await migratedDb()));
afterAll(async () => cleanup());

/**
 * Mobile ID as the login sees it: the number has the SIM; every request is accepted, or refused
 * with `fault`; the person has not answered yet, or (`signer`) has signed the DTBD at once.
 */
function mobileId(fault?: MobileIdError, signer?: { user: Issued; chain: Issued[] }) {
  const calls = { profile: 0, signAsync: 0, status: 0 };
  let n = 0;
  const client = {
    async profile(msisdn: string): Promise<ProfileResult> {
      calls.profile += 1;
      await new Promise((r) => setTimeout(r, 20));
      if (fault) throw fault;
      return { statusCode: 100, apTransId: `P${msisdn}`, signatureProfiles: [], autoActivation: undefined, recoveryCodeCreated: undefined, sscds: [], activeMethods: ['sim'] };
    },
    async status(q: { msspTransId: string; msisdn: string }): Promise<StatusResult> {
      calls.status += 1;
      await new Promise((r) => setTimeout(r, 20));
      if (!signer) return { state: 'outstanding', statusCode: 504, apTransId: 'S1', msisdn: undefined };
      const [row] = (await db('mobileid_transactions').where({ msisdn: q.msisdn, mssp_trans_id: q.msspTransId })) as { dtbd: string }[];
      const base64Signature = await signCms({ content: row!.dtbd, signer: signer.user, certificates: [signer.user.cert, ...signer.chain.map((c) => c.cert)] });
      return {
        state: 'signed',
        statusCode: 500,
        apTransId: 'S1',
        msspTransId: q.msspTransId,
        msisdn: q.msisdn,
        base64Signature,
        signatureProfile: undefined,
        geofencing: undefined,
        subscriberInfo: undefined,
        app2appAuthUri: undefined,
      };
    },
    async signAsync(): Promise<SignatureAccepted> {
      calls.signAsync += 1;
      n += 1;
      return { state: 'accepted', statusCode: 100, msspTransId: `h${n}`, apTransId: `A${n}`, msisdn: undefined, signatureProfile: undefined, app2appAuthUri: undefined };
    },
  };
  return { client: client as unknown as MobileIdClient, calls };
}

const settings = (limit = 5): MobileIdLoginSettings => ({
  dtbdPrefix: 'Test: ',
  defaultCountryCode: '41',
  signatureProfile: SIGNATURE_PROFILES.any,
  pollIntervalMs: 1000,
  perNumber: { max: limit, windowSeconds: 600 },
  perIp: { max: 100, windowSeconds: 600 },
  trustAnchors: new CertificateStore([]),
  receipt: false,
});
const quiet = { info() {}, warn() {} };
const start = (phone: string, ip = '192.0.2.1'): StartLogin => ({ interactionUid: 'uid-1', clientId: 'rp', serviceName: 'RP', phone, locale: 'en', clientIp: ip });
const rows = (msisdn: string) => db('mobileid_transactions').where({ msisdn }).orderBy('created_at') as Promise<{ status: string; mssp_trans_id: string | null; error: unknown }[]>;

describe('starting a Mobile ID login', () => {
  it('stores the accepted request and answers with its state without reading it back', async () => {
    const { client } = mobileId();
    const state = await new MobileIdLogins(db, client, settings(), quiet).start(start('+41 79 400 00 01'));
    expect(state).toMatchObject({ status: 'pending', method: 'sim', maskedMsisdn: '+417******01' });
    const [row] = await rows('41794000001');
    expect(row).toMatchObject({ status: 'pending', mssp_trans_id: 'h1' });
    expect(state).toEqual(await new MobileIdLogins(db, mobileId().client, settings(), quiet).get(state.id));
  });

  it('lets a pending request whose time is up no longer block the number', async () => {
    const { client } = mobileId();
    const logins = new MobileIdLogins(db, client, settings(), quiet);
    await logins.start(start('+41 79 400 00 02'));
    await expect(logins.start(start('+41 79 400 00 02'))).rejects.toMatchObject({ code: 'already_pending', status: 409 });
    await db('mobileid_transactions').where({ msisdn: '41794000002' }).update({ expires_at: new Date(Date.now() - 1000) });
    await expect(logins.start(start('+41 79 400 00 02'))).resolves.toMatchObject({ status: 'pending' });
    const all = await rows('41794000002');
    expect(all.map((r) => r.status)).toEqual(['failed', 'pending']);
    expect(all[0]?.error).toMatchObject({ code: 'expired_transaction' });
  });

  it('claims the number before asking Mobile ID: of two starts at once, one goes out and the other is refused', async () => {
    const { client, calls } = mobileId();
    const logins = new MobileIdLogins(db, client, settings(), quiet);
    const results = await Promise.allSettled([logins.start(start('+41 79 400 00 03')), logins.start(start('+41 79 400 00 03'))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'already_pending' } });
    expect(calls).toMatchObject({ profile: 1, signAsync: 1 });
    expect(await rows('41794000003')).toHaveLength(1);
  });

  it('counts a start that Mobile ID refused towards the rate limit, and keeps its fault', async () => {
    const fault = new MobileIdError({ code: 'unknown_client', status: 400, messageKey: 'mobileid.fault.105', providerCode: 105, detail: 'no Mobile ID' });
    const { client, calls } = mobileId(fault);
    const logins = new MobileIdLogins(db, client, settings(2), quiet);
    for (let i = 0; i < 2; i++) await expect(logins.start(start('+41 79 400 00 04'))).rejects.toBe(fault);
    await expect(logins.start(start('+41 79 400 00 04'))).rejects.toMatchObject({ code: 'rate_limited', status: 429 });
    expect(calls.profile).toBe(2);
    const all = await rows('41794000004');
    expect(all.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(all[0]?.error).toMatchObject({ code: 'unknown_client', providerCode: 105 });
  });

  it('limits starts per client address across numbers', async () => {
    const { client } = mobileId();
    const logins = new MobileIdLogins(db, client, { ...settings(), perIp: { max: 2, windowSeconds: 600 } }, quiet);
    await logins.start(start('+41 79 400 00 05', '198.51.100.7'));
    await logins.start(start('+41 79 400 00 06', '198.51.100.7'));
    await expect(logins.start(start('+41 79 400 00 07', '198.51.100.7'))).rejects.toMatchObject({ code: 'rate_limited' });
    await expect(logins.start(start('+41 79 400 00 07', '198.51.100.8'))).resolves.toMatchObject({ status: 'pending' });
  });

  it('claims the starts of the moment together, each counted against its limits as if alone', async () => {
    const { client, calls } = mobileId();
    const logins = new MobileIdLogins(db, client, { ...settings(), perIp: { max: 2, windowSeconds: 600 } }, quiet);
    // In one turn: three numbers from one address (limit 2), two from others.
    const results = await Promise.allSettled([
      logins.start(start('+41 79 400 00 61', '198.51.100.31')),
      logins.start(start('+41 79 400 00 62', '198.51.100.31')),
      logins.start(start('+41 79 400 00 63', '198.51.100.31')),
      logins.start(start('+41 79 400 00 64', '198.51.100.32')),
      logins.start(start('+41 79 400 00 65', '198.51.100.33')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(results[2]).toMatchObject({ reason: { code: 'rate_limited', status: 429 } });
    expect(calls.signAsync).toBe(4);
    const claimed = (await db('mobileid_transactions').whereIn('msisdn', ['41794000061', '41794000062', '41794000063', '41794000064', '41794000065'])
      .select('msisdn', 'client_ip', 'status', 'interaction_uid', 'client_id', 'locale')) as Record<string, string>[];
    expect(claimed.map((r) => r.msisdn).sort()).toEqual(['41794000061', '41794000062', '41794000064', '41794000065']);
    for (const row of claimed) expect(row).toMatchObject({ status: 'pending', interaction_uid: 'uid-1', client_id: 'rp', locale: 'en' });
  });
});

describe('asking for the state of a pending login', () => {
  it('asks Mobile ID at most once per poll interval, however many callers ask at once', async () => {
    const { client, calls } = mobileId();
    // Three instances (each batches its own callers), ten callers in all.
    const instances = Array.from({ length: 3 }, () => new MobileIdLogins(db, client, { ...settings(), pollIntervalMs: 1000 }, quiet));
    const logins = instances[0]!;
    const everyone = (id: string) => Promise.all(Array.from({ length: 10 }, (_, i) => instances[i % 3]!.check(id)));
    const { id } = await logins.start(start('+41 79 400 00 10'));
    const first = await everyone(id);
    expect(first.every((s) => s.status === 'pending')).toBe(true);
    expect(calls.status).toBe(1);
    await everyone(id);
    expect(calls.status).toBe(1);
    await new Promise((r) => setTimeout(r, 1050));
    await everyone(id);
    expect(calls.status).toBe(2);
    const [row] = (await db('mobileid_transactions').where({ id })) as { polls: number }[];
    expect(row?.polls).toBe(2);
  });

  it('answers the logins started and asked for at the same moment each with its own row', async () => {
    const { client, calls } = mobileId();
    const logins = new MobileIdLogins(db, client, settings(), quiet);
    const numbers = ['+41 79 400 00 12', '+41 79 400 00 13', '+41 79 400 00 14'];
    const started = await Promise.all(numbers.map((n, i) => logins.start({ ...start(n), interactionUid: `uid-batch-${i}` })));
    const stored = (await db('mobileid_transactions').whereIn('id', started.map((s) => s.id))) as { id: string; mssp_trans_id: string; expires_at: Date }[];
    expect(new Set(stored.map((r) => r.mssp_trans_id)).size).toBe(3);
    for (const s of started) expect(stored.find((r) => r.id === s.id)?.expires_at.getTime()).toBe(s.expiresAt.getTime());

    const states = await Promise.all([...started, started[0]!].map((s) => logins.check(s.id)));
    expect(states.map((s) => s.interactionUid)).toEqual(['uid-batch-0', 'uid-batch-1', 'uid-batch-2', 'uid-batch-0']);
    expect(states.map((s) => s.maskedMsisdn)).toEqual(['+417******12', '+417******13', '+417******14', '+417******12']);
    // One status query per login, the one asked for twice included.
    expect(calls.status).toBe(3);
  });

  it('finds every login by its key with the plans it keeps, even before the table has statistics', async () => {
    // A burst of pending logins on a new database, never analysed (rows about as long as real ones).
    await db.raw(`insert into mobileid_transactions (id, interaction_uid, msisdn, client_ip, locale, dtbd, transaction_code, ap_trans_id, status, created_at, expires_at, next_poll_at, mssp_trans_id)
      select gen_random_uuid(), repeat('u', 40), '4170' || i, '192.0.2.9', 'en', 'ServiceCore: ' || repeat('x', 100), 'AB12', 'A' || i, 'pending', now(), now() + interval '1 minute', now(), 'h' || i
        from generate_series(1, 2000) i`);
    const prepared = Object.entries(LOGIN_STATEMENTS).filter(([, stmt]) => stmt.plan === 'once');
    // Those planned for their values every time: the two whose kept plan would not be by key, and the poll.
    expect(Object.keys(LOGIN_STATEMENTS).filter((name) => !prepared.some(([n]) => n === name)).sort()).toEqual(['fail', 'poll', 'signed']);
    const planOf = (rows: { 'QUERY PLAN': string }[]) => rows.map((r) => r['QUERY PLAN']).join('\n');
    // The poll as it runs, planned for a batch of keys.
    const ids = ((await db('mobileid_transactions').select('id').limit(3)) as { id: string }[]).map((r) => r.id);
    const poll = planOf((await run<{ 'QUERY PLAN': string }>(db, statement('', `explain (costs off) ${LOGIN_STATEMENTS.poll.text}`, { plan: 'each' }), [ids, new Date(), new Date()])).rows);
    expect(poll).not.toMatch(/one_pending|Seq Scan on mobileid_transactions/);
    expect(poll).toMatch(/Index Scan using mobileid_transactions_pkey/);
    expect(poll).toMatch(/Tid Scan on mobileid_transactions/);
    const trx = await db.transaction();
    try {
      // The plan a connection keeps once it stops planning for the values (as on the first
      // executions), made while PostgreSQL believes the table empty.
      await trx.raw('set local plan_cache_mode = force_generic_plan');
      for (const [name, stmt] of prepared) {
        const parameters = Math.max(...[...stmt.text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
        await trx.raw(`prepare plan_${name} as ${stmt.text}`);
        const explained = await trx.raw(`explain (costs off) execute plan_${name}(${Array(parameters).fill('null').join(', ')})`);
        const plan = planOf(explained.rows as { 'QUERY PLAN': string }[]);
        expect(plan, name).not.toMatch(/Seq Scan on mobileid_transactions/);
        // The index of pending logins only ever to find the number's pending login.
        for (const use of plan.matchAll(/Index Scan using mobileid_transactions_one_pending on .*\n(.*)/g)) {
          expect(use[1], name).toMatch(/Index Cond: \(\(msisdn\)::text = (\$1|c\w*\.msisdn)\)/);
        }
        if (['accepted', 'row', 'completed', 'refused'].includes(name)) expect(plan, name).toMatch(/Index Scan using mobileid_transactions_pkey/);
      }
    } finally {
      await trx.rollback();
    }
  });

  it('ends a login whose time is up when it is asked for, without asking Mobile ID', async () => {
    const { client, calls } = mobileId();
    const logins = new MobileIdLogins(db, client, settings(), quiet);
    const { id } = await logins.start(start('+41 79 400 00 11'));
    await db('mobileid_transactions').where({ id }).update({ expires_at: new Date(Date.now() - 1) });
    await expect(logins.check(id)).resolves.toMatchObject({ status: 'failed', error: { code: 'expired_transaction' } });
    expect(calls.status).toBe(0);
    await expect(logins.check('not-a-login')).rejects.toMatchObject({ status: 404 });
  });

  it('ends a login with "Mobile ID is unavailable" when the status query failed again after its retry', async () => {
    const { client } = mobileId();
    let statusCalls = 0;
    const failing = Object.assign(Object.create(client) as MobileIdClient, {
      async status(): Promise<StatusResult> {
        statusCalls += 1;
        throw new MobileIdError({ code: 'unavailable', status: 503, messageKey: 'mobileid.error.unavailable', detail: 'status: failed twice; last: network error (ECONNRESET)' });
      },
    });
    const warnings: object[] = [];
    const logins = new MobileIdLogins(db, failing, settings(), { info() {}, warn: (o: object) => warnings.push(o) });
    const { id } = await logins.start(start('+41 79 400 00 31'));
    await expect(logins.check(id)).resolves.toMatchObject({ status: 'failed', error: { code: 'unavailable', messageKey: 'mobileid.error.unavailable' } });
    expect(statusCalls).toBe(1);
    expect(warnings).toContainEqual(expect.objectContaining({ login: id, code: 'unavailable' }));
    // Over: the next check reads the stored outcome and asks nobody.
    await expect(logins.check(id)).resolves.toMatchObject({ status: 'failed' });
    expect(statusCalls).toBe(1);
  });
});

describe('a signature verified in the request that finishes the login', () => {
  let pki: { user: Issued; chain: Issued[]; anchors: CertificateStore };
  beforeAll(async () => {
    const root = await issue({ commonName: 'Test Root', keyKind: 'ec', ca: true });
    const user = await issue({ commonName: 'MIDCHE0FIN1SH00', serialNumberAttr: 'MIDCHE0FIN1SH00', keyKind: 'ec', issuer: root, ca: false });
    pki = { user, chain: [root], anchors: new CertificateStore([root.cert]) };
  });
  const signing = (pollIntervalMs = 1000) => {
    const { client, calls } = mobileId(undefined, pki);
    return { logins: new MobileIdLogins(db, client, { ...settings(), pollIntervalMs, trustAnchors: pki.anchors }, quiet), calls };
  };
  const stored = async (id: string) => ((await db('mobileid_transactions').where({ id })) as { status: string; result: unknown }[])[0];

  it('is stored with the account step, not on its own, and comes with the account of the number', async () => {
    const { logins } = signing();
    const { account } = await findOrCreateAccount(db, '41794000020', 'MIDCHE0FIN1SH00');
    const { id } = await logins.start(start('+41 79 400 00 20'));
    const state = await logins.check(id, { finishing: true });
    expect(state).toMatchObject({ status: 'signed', result: { msisdn: '41794000020', serial: 'MIDCHE0FIN1SH00', method: 'sim' } });
    expect(accountFromRow(state.account!)).toEqual(account);
    expect(await stored(id)).toMatchObject({ status: 'pending', result: null });

    await runWrites(db, [logins.completedWrite(state, 'account-20')]);
    expect(await stored(id)).toMatchObject({ status: 'completed', result: { serial: 'MIDCHE0FIN1SH00', accountId: 'account-20' } });
    expect(await logins.completed(id, 'uid-1')).toMatchObject({ serial: 'MIDCHE0FIN1SH00', accountId: 'account-20' });
  });

  it('leaves the login pending when the account step fails, and the next check asks Mobile ID again', async () => {
    const { logins, calls } = signing(1000);
    const { id } = await logins.start(start('+41 79 400 00 21'));
    expect((await logins.check(id, { finishing: true })).account).toBeNull();
    // (the account step fails here: nothing is written)
    expect(await logins.check(id)).toMatchObject({ status: 'pending' });
    await new Promise((r) => setTimeout(r, 1050));
    const state = await logins.check(id);
    expect(state).toMatchObject({ status: 'signed', result: { serial: 'MIDCHE0FIN1SH00' } });
    expect(state.account).toBeUndefined();
    expect(calls.status).toBe(2);
    // Stored this time (the waiting page's status endpoint): the account step finishes it later.
    expect(await stored(id)).toMatchObject({ status: 'signed' });
    await runWrites(db, [logins.completedWrite(state, 'account-21')]);
    expect(await stored(id)).toMatchObject({ status: 'completed', result: { accountId: 'account-21' } });
  });

  it('completes a login once only, and never one that failed', async () => {
    const { logins } = signing();
    const { id } = await logins.start(start('+41 79 400 00 22'));
    const state = await logins.check(id, { finishing: true });
    await logins.refuse(id, { code: 'serial_mismatch', messageKey: 'mobileid.serial.rejected' });
    await runWrites(db, [logins.completedWrite(state, 'account-22')]);
    expect(await stored(id)).toMatchObject({ status: 'failed', result: null });
  });
});
