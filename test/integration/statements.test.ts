import crypto from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { auditTrail, auditWrite } from '../../src/audit/index.js';
import type { Db } from '../../src/db/index.js';
import { runWrites, writeOf, type Write } from '../../src/db/statements.js';
import { migratedDb } from '../helpers/db.js';

let db: Db;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await migratedDb());
});
afterAll(async () => cleanup());

const newAccount = (msisdn: string) => ({ id: crypto.randomUUID(), msisdn, roles: '[]', created_at: new Date() });

describe('several writes in one statement', () => {
  it('writes each with its own parameters', async () => {
    const account = newAccount('41790000001');
    await runWrites(db, [
      writeOf(db('accounts').insert(account), null),
      { text: 'insert into audit_events (actor, action, subject) values ($1, $2, $3)', values: ['test', 'first', `account:${account.id}`], row: null },
      auditWrite(db, { actor: 'test', action: 'second', subject: `account:${account.id}`, detail: { n: 2 } }),
    ]);
    const row = await db('accounts').where({ id: account.id }).first('msisdn');
    expect(row?.msisdn).toBe('41790000001');
    const trail = await auditTrail(db, `account:${account.id}`);
    // The parts of one statement run in no set order.
    expect(trail.map((e) => [e.actor, e.action, e.detail]).sort()).toEqual([
      ['test', 'first', null],
      ['test', 'second', { n: 2 }],
    ]);
  });

  it('writes none when one fails', async () => {
    const taken = newAccount('41790000002');
    await db('accounts').insert(taken);
    const other = newAccount('41790000003');
    await expect(
      runWrites(db, [
        auditWrite(db, { actor: 'test', action: 'lost', subject: `account:${other.id}` }),
        writeOf(db('accounts').insert(other), null),
        // The same number again: the unique index refuses it, and with it the two writes before.
        writeOf(db('accounts').insert({ ...newAccount('41790000002') }), null),
      ]),
    ).rejects.toThrow();
    expect(await db('accounts').where({ id: other.id }).first()).toBeUndefined();
    expect(await auditTrail(db, `account:${other.id}`)).toEqual([]);
  });

  describe('of concurrent callers', () => {
    /** An audit event that records the transaction it was written in. */
    const marker = (subject: string): Write => ({
      text: 'insert into audit_events (actor, action, subject) values ($1, txid_current()::text, $2)',
      values: ['test', subject],
      row: null,
    });
    const transactionsOf = async (subjects: string[]) => {
      const rows = (await db('audit_events').whereIn('subject', subjects).select('subject', 'action')) as { subject: string; action: string }[];
      expect(rows).toHaveLength(subjects.length);
      return new Set(rows.map((r) => r.action));
    };
    /** One more login of the account: read and written in the statement, so a skipped update shows. */
    const countLogin = (id: string): Write => ({
      text: "update accounts set last_login = jsonb_build_object('n', coalesce((last_login->>'n')::int, 0) + 1) where id = $1",
      values: [id],
      row: `accounts:${id}`,
    });

    it('share one statement, a few callers at a time', async () => {
      const subjects = Array.from({ length: 10 }, (_, i) => `batch:${crypto.randomUUID()}:${i}`);
      await Promise.all(subjects.map((subject) => runWrites(db, [marker(subject)])));
      // Eight callers in the first statement, two in the second.
      expect((await transactionsOf(subjects)).size).toBe(2);
    });

    it('go into separate statements when they change the same row, so that neither change is lost', async () => {
      const account = newAccount('41790000010');
      await db('accounts').insert(account);
      const subjects = [1, 2, 3].map((i) => `same-row:${account.id}:${i}`);
      await Promise.all(subjects.map((subject) => runWrites(db, [countLogin(account.id), marker(subject)])));
      const row = await db('accounts').where({ id: account.id }).first('last_login');
      expect(row?.last_login).toEqual({ n: 3 });
      expect((await transactionsOf(subjects)).size).toBe(3);
    });

    it('fail alone: the writes of the others are written, each caller learns its own outcome', async () => {
      const taken = newAccount('41790000011');
      await db('accounts').insert(taken);
      const fresh = newAccount('41790000012');
      const subjects = [1, 2].map((i) => `alone:${fresh.id}:${i}`);
      const outcomes = await Promise.allSettled([
        runWrites(db, [marker(subjects[0]!)]),
        runWrites(db, [auditWrite(db, { actor: 'test', action: 'lost', subject: `account:${fresh.id}` }), writeOf(db('accounts').insert(newAccount('41790000011')), null)]),
        runWrites(db, [writeOf(db('accounts').insert(fresh), null), marker(subjects[1]!)]),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: '23505' });
      expect(await db('accounts').where({ id: fresh.id }).first('msisdn')).toEqual({ msisdn: '41790000012' });
      await transactionsOf(subjects);
      expect(await auditTrail(db, `account:${fresh.id}`)).toEqual([]);
    });
  });
});
