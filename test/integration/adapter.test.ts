import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Db } from '../../src/db/index.js';
import { createAdapter, sweepExpired } from '../../src/oidc/adapter.js';
import { recordGrantLogin, serialOfGrant, sweepGrantLogins } from '../../src/oidc/grant-logins.js';
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

describe('the login behind each grant', () => {
  it('records the serial of a finished login, lets a single sign-on grant inherit it, and forgets revoked grants', async () => {
    const Grants = new (createAdapter(db))('Grant');
    await Grants.upsert('g1', { jti: 'g1', accountId: 'a1', clientId: 'c1' }, 600);
    await Grants.upsert('g2', { jti: 'g2', accountId: 'a1', clientId: 'c2' }, 600);
    await recordGrantLogin(db, 'g1', 'session-1', 'SERIAL-A');
    // A second client in the same session, without a new login: the session's serial.
    await recordGrantLogin(db, 'g2', 'session-1', undefined);
    expect(await serialOfGrant(db, 'g2')).toBe('SERIAL-A');
    // A new login renews the grant with its own serial; single sign-on later does not change it.
    await recordGrantLogin(db, 'g1', 'session-1', 'SERIAL-B');
    await recordGrantLogin(db, 'g1', 'session-1', undefined);
    expect(await serialOfGrant(db, 'g1')).toBe('SERIAL-B');
    expect(await serialOfGrant(db, 'unknown')).toBeNull();
    expect(await serialOfGrant(db, undefined)).toBeNull();

    await Grants.destroy('g2');
    expect(await sweepGrantLogins(db)).toBe(1);
    expect(await serialOfGrant(db, 'g2')).toBeNull();
    expect(await serialOfGrant(db, 'g1')).toBe('SERIAL-B');
  });
});
