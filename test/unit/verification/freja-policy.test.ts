/** policies/freja.json: EXTENDED and PLUS may count; BASIC never does. */
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../../src/errors.js';
import { loadFrejaPolicy, parseFrejaPolicy } from '../../../src/verification/freja/index.js';

describe('the Freja eID policy', () => {
  it('ships accepting EXTENDED and PLUS, asking for names, date of birth, SSN and the level', () => {
    const policy = loadFrejaPolicy(path.resolve('policies/freja.json'));
    expect(policy).toMatchObject({
      acceptedRegistrationLevels: ['EXTENDED', 'PLUS'],
      minRegistrationLevel: 'EXTENDED',
      attributesToReturn: ['BASIC_USER_INFO', 'DATE_OF_BIRTH', 'SSN', 'REGISTRATION_LEVEL'],
    });
  });

  it('asks Freja for the lowest accepted level', () => {
    expect(parseFrejaPolicy({ acceptedRegistrationLevels: ['PLUS'], attributesToReturn: ['BASIC_USER_INFO', 'DATE_OF_BIRTH'] }).minRegistrationLevel).toBe('PLUS');
  });

  it('refuses BASIC, missing attributes, unknown keys', () => {
    expect(() => parseFrejaPolicy({ acceptedRegistrationLevels: ['BASIC', 'PLUS'], attributesToReturn: ['BASIC_USER_INFO', 'DATE_OF_BIRTH'] })).toThrow(/must not contain BASIC/);
    expect(() => parseFrejaPolicy({ acceptedRegistrationLevels: ['PLUS'], attributesToReturn: ['BASIC_USER_INFO'] })).toThrow(/must contain BASIC_USER_INFO and DATE_OF_BIRTH/);
    expect(() => parseFrejaPolicy({ acceptedRegistrationLevels: [], attributesToReturn: ['BASIC_USER_INFO', 'DATE_OF_BIRTH'] })).toThrow(ConfigError);
    expect(() => parseFrejaPolicy({ acceptedRegistrationLevels: ['PLUS'], attributesToReturn: ['BASIC_USER_INFO', 'DATE_OF_BIRTH'], userInfoType: 'EMAIL' })).toThrow(ConfigError);
  });
});
