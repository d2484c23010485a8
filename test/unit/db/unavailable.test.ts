import { Writable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { isDatabaseUnavailable, logFailure } from '../../../src/db/unavailable.js';
import { AppError } from '../../../src/errors.js';
import { createLogger } from '../../../src/logger.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('recognises a server going away, not there yet, or out of reach', () => {
    for (const err of [
      withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      withCode('ECONNRESET'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03', 'the database system is starting up'),
      withCode('53300', 'sorry, too many clients already'),
      withCode('08006', 'connection failure'),
      withCode('55000', 'database "scl" is not currently accepting connections'),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection ended unexpectedly'),
      Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }),
      new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed'),
      new Error('insert failed', { cause: withCode('57P01') }),
    ]) {
      expect(isDatabaseUnavailable(err), String(err)).toBe(true);
    }
  });

  it('leaves faults of a statement or of its data, and anything else, to be reported as errors', () => {
    for (const err of [
      withCode('23505', 'duplicate key value violates unique constraint'),
      withCode('42P01', 'relation "x" does not exist'),
      withCode('55000', 'cannot execute nextval() in a read-only transaction'),
      withCode('3D000', 'database "nope" does not exist'),
      new TypeError('Cannot read properties of undefined'),
      new AppError({ code: 'unavailable', status: 502, messageKey: 'mobileid.unavailable', cause: withCode('ECONNRESET') }),
      'ECONNREFUSED',
      undefined,
      null,
    ]) {
      expect(isDatabaseUnavailable(err), String(err)).toBe(false);
    }
  });
});

describe('logFailure', () => {
  it('warns once, without the stack, while the database is out of reach; logs any other failure as an error', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>), done()) });
    const onError = logFailure(createLogger('info', sink), 'sweeping expired rows failed');
    onError(withCode('57P01', 'terminating connection due to administrator command'));
    onError(withCode('23505', 'duplicate key value violates unique constraint'));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([['warn', 'sweeping expired rows failed'], ['error', 'sweeping expired rows failed']]);
    expect(lines[0]).toMatchObject({ databaseUnavailable: true, err: { code: '57P01', message: 'terminating connection due to administrator command' } });
    expect(JSON.stringify(lines[0])).not.toContain('    at ');
    expect(JSON.stringify(lines[1])).toContain('    at ');
  });
});
