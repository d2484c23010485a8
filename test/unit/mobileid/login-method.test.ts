import { describe, expect, it } from 'vitest';

import { amrFor, methodOfProfile, methodUsed } from '../../../src/mobileid/login.js';
import { SIGNATURE_PROFILES } from '../../../src/mobileid/protocol.js';

const CUSTOM = 'http://mid.swisscom.ch/My-Custom-Profile';

describe('the Mobile ID method of a login (reference guide 3.2.1.1)', () => {
  it('is named only by STK-LoA4 (SIM) and Device-LoA4 (App)', () => {
    expect(methodOfProfile(SIGNATURE_PROFILES.sim)).toBe('sim');
    expect(methodOfProfile(SIGNATURE_PROFILES.app)).toBe('app');
    for (const p of [SIGNATURE_PROFILES.any, SIGNATURE_PROFILES.anyGeofencing, SIGNATURE_PROFILES.authProfile1, CUSTOM, undefined, null, '']) {
      expect(methodOfProfile(p), String(p)).toBeUndefined();
    }
  });

  it.each([
    ['the answer names the SIM', [SIGNATURE_PROFILES.sim], SIGNATURE_PROFILES.any, ['sim', 'app'], 'sim'],
    ['the answer names the App', [SIGNATURE_PROFILES.app], SIGNATURE_PROFILES.any, ['sim', 'app'], 'app'],
    ['the first answer that names a method counts (the status answer before the acceptance)', [SIGNATURE_PROFILES.app, SIGNATURE_PROFILES.sim], SIGNATURE_PROFILES.any, ['sim', 'app'], 'app'],
    ['a custom answer to a request forcing the SIM', [CUSTOM], SIGNATURE_PROFILES.sim, [], 'sim'],
    ['a custom answer to a request forcing the App', [CUSTOM], SIGNATURE_PROFILES.app, ['sim', 'app'], 'app'],
    ['a custom answer, a SIM-only number', [CUSTOM], SIGNATURE_PROFILES.any, ['sim'], 'sim'],
    ['a custom answer, an App-only number', [CUSTOM], SIGNATURE_PROFILES.any, ['app'], 'app'],
    ['a custom answer, a number with both: the weaker method', [CUSTOM], SIGNATURE_PROFILES.any, ['sim', 'app'], 'app'],
    ['no profile in the answer, methods unknown', [undefined], SIGNATURE_PROFILES.any, [], 'app'],
  ] as const)('%s → %s', (_case, answered, requested, activeMethods, expected) => {
    expect(methodUsed({ answered: [...answered], requested, activeMethods })).toBe(expected);
  });

  it('gives RFC 8176 values per method', () => {
    expect(amrFor('sim', false)).toEqual(['hwk', 'pin', 'mfa']);
    expect(amrFor('app', true)).toEqual(['swk', 'mfa', 'geo']);
  });
});
