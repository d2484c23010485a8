import crypto from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { auditTrail, auditWrite } from '../../src/audit/index.js';
import type { Db } from '../../src/db/index.js';
import { runWrites, writeOf } from '../../src/db/statements.js';
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
      writeOf(db('accounts').insert(account)),
      { text: 'insert into audit_events (actor, action, subject) values ($1, $2, $3)', values: ['test', 'first', `account:${account.id}`] },
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
        writeOf(db('accounts').insert(other)),
        // The same number again: the unique index refuses it, and with it the two writes before.
        writeOf(db('accounts').insert({ ...newAccount('41790000002') })),
      ]),
    ).rejects.toThrow();
    expect(await db('accounts').where({ id: other.id }).first()).toBeUndefined();
    expect(await auditTrail(db, `account:${other.id}`)).toEqual([]);
  });
});
