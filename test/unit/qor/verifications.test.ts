import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../../src/errors.js';
import { DEFAULT_VALIDITY, expiresAt, validVerifications } from '../../../src/qor/index.js';
import { NOW, SERIAL, verification } from './fixtures.js';

const ctx = { now: NOW, serial: SERIAL };

describe('validVerifications', () => {
  it('counts an approved, unexpired verification bound to the current serial', () => {
    const v = verification();
    expect(validVerifications([v], ctx)).toEqual([v]);
  });

  it.each(['pending', 'rejected', 'revoked'] as const)('does not count a %s verification', (status) => {
    expect(validVerifications([verification({ status })], ctx)).toEqual([]);
  });

  it('does not count a verification that expires at or before now', () => {
    expect(validVerifications([verification({ expiresAt: new Date(NOW.getTime()) })], ctx)).toEqual([]);
    expect(validVerifications([verification({ expiresAt: new Date(NOW.getTime() - 1) })], ctx)).toEqual([]);
    expect(validVerifications([verification({ expiresAt: new Date(NOW.getTime() + 1) })], ctx)).toHaveLength(1);
  });

  it('does not count a verification bound to an old serial (serial re-activated without recovery)', () => {
    expect(validVerifications([verification({ boundSerial: 'MIDCHEOLD0000001' })], ctx)).toEqual([]);
  });

  it('compares serials case-insensitively', () => {
    expect(validVerifications([verification({ boundSerial: SERIAL.toLowerCase() })], ctx)).toHaveLength(1);
    expect(validVerifications([verification()], { now: NOW, serial: 'midchegu8gsh6k83' })).toHaveLength(1);
  });

  it('counts an unbound verification whatever the serial, and a bound one only with a serial', () => {
    const unbound = verification({ boundSerial: null });
    expect(validVerifications([unbound], ctx)).toEqual([unbound]);
    expect(validVerifications([unbound], { now: NOW, serial: null })).toEqual([unbound]);
    expect(validVerifications([verification()], { now: NOW, serial: null })).toEqual([]);
  });

  it('never counts invalid dates', () => {
    expect(validVerifications([verification({ expiresAt: new Date(Number.NaN) })], ctx)).toEqual([]);
    expect(validVerifications([verification({ verifiedAt: new Date(Number.NaN) })], ctx)).toEqual([]);
  });

  it('keeps the valid ones, in order', () => {
    const list = [
      verification({ id: 'a', kind: 'auto', status: 'pending' }),
      verification({ id: 'b', kind: 'ahv' }),
      verification({ id: 'c', kind: 'manual', expiresAt: new Date('2025-01-01T00:00:00Z') }),
      verification({ id: 'd', kind: 'auto', boundSerial: null }),
      verification({ id: 'e', kind: 'manual', boundSerial: 'OTHER' }),
    ];
    expect(validVerifications(list, ctx).map((v) => v.id)).toEqual(['b', 'd']);
    expect(validVerifications([], ctx)).toEqual([]);
  });
});

describe('expiresAt', () => {
  it('defaults to five years', () => {
    expect(DEFAULT_VALIDITY).toEqual({ years: 5 });
    expect(expiresAt(new Date('2024-03-15T10:20:30.400Z')).toISOString()).toBe('2029-03-15T10:20:30.400Z');
  });

  it('takes the validity from the policy', () => {
    const at = new Date('2024-03-15T10:00:00Z');
    expect(expiresAt(at, { years: 2 }).toISOString()).toBe('2026-03-15T10:00:00.000Z');
    expect(expiresAt(at, { months: 18 }).toISOString()).toBe('2025-09-15T10:00:00.000Z');
    expect(expiresAt(at, { days: 30 }).toISOString()).toBe('2024-04-14T10:00:00.000Z');
    expect(expiresAt(at, { years: 1, months: 1, days: 1 }).toISOString()).toBe('2025-04-16T10:00:00.000Z');
  });

  it('ends on the last day of a shorter month', () => {
    expect(expiresAt(new Date('2024-02-29T08:00:00Z'), { years: 1 }).toISOString()).toBe('2025-02-28T08:00:00.000Z');
    expect(expiresAt(new Date('2024-02-29T08:00:00Z')).toISOString()).toBe('2029-02-28T08:00:00.000Z');
    expect(expiresAt(new Date('2024-01-31T08:00:00Z'), { months: 1 }).toISOString()).toBe('2024-02-29T08:00:00.000Z');
  });

  it('does not change its argument', () => {
    const at = new Date('2024-03-15T10:00:00Z');
    expiresAt(at);
    expect(at.toISOString()).toBe('2024-03-15T10:00:00.000Z');
  });

  it.each([{}, { years: 0 }, { years: -1 }, { months: 1.5 }, { days: Number.NaN }, { years: Number.POSITIVE_INFINITY }])(
    'refuses the validity %j as a configuration error',
    (validity) => {
      expect(() => expiresAt(NOW, validity)).toThrow(ConfigError);
    },
  );
});
