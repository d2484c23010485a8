/** The serial pin's rules: comparing serials, an administrator's input, which login's serial is the latest, and when a verification re-pins. */
import { describe, expect, it } from 'vitest';

import { compareSerial, latestPresentedSerial, normaliseSerial, repinDueToVerification, sameSerial, type LastLogin } from '../../../src/accounts/index.js';

const login = (serial: string, at: string, serialMismatch = false): LastLogin => ({ method: 'sim', serial, serialMismatch, amr: ['hwk', 'pin', 'mfa'], at });

describe('serial comparison', () => {
  it('compares without regard to case', () => {
    expect(compareSerial(null, 'MIDCHEAAAA000001')).toBe('first');
    expect(compareSerial('midcheaaaa000001', 'MIDCHEAAAA000001')).toBe('match');
    expect(compareSerial('MIDCHEAAAA000001', 'MIDCHEBBBB000002')).toBe('mismatch');
    expect(sameSerial('MidChe1', 'MIDCHE1')).toBe(true);
    expect(sameSerial(null, 'MIDCHE1')).toBe(false);
  });

  it('accepts an administrator’s serial in any case, with spaces around it, and nothing else', () => {
    expect(normaliseSerial(' midcheptod58qe59 ')).toBe('MIDCHEPTOD58QE59');
    expect(normaliseSerial('MIDCHE PTOD58')).toBeUndefined();
    expect(normaliseSerial('MID')).toBeUndefined();
    expect(normaliseSerial('x'.repeat(65))).toBeUndefined();
    expect(normaliseSerial('MIDCHE<script>')).toBeUndefined();
    expect(normaliseSerial(42)).toBeUndefined();
  });
});

describe('the serial of the most recent login', () => {
  it('is the later of the last login and the last mismatch event', () => {
    const last = login('MIDCHEAAAA000001', '2025-01-01T10:00:00Z');
    expect(latestPresentedSerial(null, undefined)).toBeUndefined();
    expect(latestPresentedSerial(last, undefined)).toEqual({ serial: 'MIDCHEAAAA000001', at: new Date('2025-01-01T10:00:00Z'), accepted: true });
    // Refused under `reject`: only the audit event knows the serial.
    const refused = { serial: 'MIDCHEBBBB000002', at: new Date('2025-01-02T10:00:00Z'), policy: 'reject' };
    expect(latestPresentedSerial(last, refused)).toEqual({ serial: 'MIDCHEBBBB000002', at: refused.at, accepted: false });
    expect(latestPresentedSerial(null, refused)?.accepted).toBe(false);
    // A login with the pinned serial after the mismatch is the latest.
    expect(latestPresentedSerial(login('MIDCHEAAAA000001', '2025-01-03T10:00:00Z'), refused)?.serial).toBe('MIDCHEAAAA000001');
    // A downgraded login writes both; its event comes a moment after the signature time.
    const downgraded = { serial: 'MIDCHEBBBB000002', at: new Date('2025-01-02T10:00:01Z'), policy: 'downgrade' };
    expect(latestPresentedSerial(login('MIDCHEBBBB000002', '2025-01-02T10:00:00Z', true), downgraded)).toEqual({ serial: 'MIDCHEBBBB000002', at: downgraded.at, accepted: true });
  });
});

describe('re-pin after the user verifies again', () => {
  const account = { mobileidSerial: 'MIDCHEAAAA000001', lastLogin: login('MIDCHEBBBB000002', '2025-01-02T10:00:00Z', true), roles: [] as string[] };

  it('is due for a verification bound to the serial of a downgraded last login', () => {
    expect(repinDueToVerification(account, 'MIDCHEBBBB000002')).toBe(true);
    expect(repinDueToVerification(account, 'midchebbbb000002')).toBe(true);
  });

  it('is not due otherwise', () => {
    expect(repinDueToVerification(account, null)).toBe(false);
    expect(repinDueToVerification(account, 'MIDCHEAAAA000001')).toBe(false);
    // A serial the last login did not present (e.g. of a re-activation before it).
    expect(repinDueToVerification(account, 'MIDCHECCCC000003')).toBe(false);
    expect(repinDueToVerification({ ...account, lastLogin: login('MIDCHEBBBB000002', '2025-01-02T10:00:00Z', false) }, 'MIDCHEBBBB000002')).toBe(false);
    expect(repinDueToVerification({ ...account, lastLogin: null }, 'MIDCHEBBBB000002')).toBe(false);
    expect(repinDueToVerification({ ...account, mobileidSerial: null }, 'MIDCHEBBBB000002')).toBe(false);
    // An administrator's or verifier's account is re-pinned by another administrator only.
    expect(repinDueToVerification({ ...account, roles: ['admin'] }, 'MIDCHEBBBB000002')).toBe(false);
  });
});
