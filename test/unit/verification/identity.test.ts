import { describe, expect, it } from 'vitest';

import { checkedIdentityEvidence, familyNamesMatch, givenNamesMatch, identityMismatches, parseClaimedIdentity, recordedIdentity } from '../../../src/verification/identity.js';

describe('claimed identity form', () => {
  const today = new Date('2026-11-23T00:00:00Z');

  it('accepts a well-formed identity and tidies spaces', () => {
    const r = parseClaimedIdentity({ given_names: '  Anna   Maria ', family_name: "D'Amico-Müller", birth_date: '1985-02-28', nationality: 'ch' }, { today });
    expect(r.identity).toEqual({ givenNames: 'Anna Maria', familyName: "D'Amico-Müller", birthDate: '1985-02-28', nationality: 'CH' });
  });

  it('names every bad field', () => {
    const r = parseClaimedIdentity({ given_names: '', family_name: '<script>', birth_date: '1985-02-30', nationality: 'Switzerland' }, { today });
    expect(r.errors).toEqual({
      givenNames: 'identity.error.given_names',
      familyName: 'identity.error.family_name',
      birthDate: 'identity.error.birth_date',
      nationality: 'identity.error.nationality',
    });
  });

  it('refuses dates in the future or before 1900, and a missing nationality when required', () => {
    expect(parseClaimedIdentity({ given_names: 'A', family_name: 'B', birth_date: '2030-01-01' }, { today }).errors?.birthDate).toBeDefined();
    expect(parseClaimedIdentity({ given_names: 'A', family_name: 'B', birth_date: '1899-12-31' }, { today }).errors?.birthDate).toBeDefined();
    expect(parseClaimedIdentity({ given_names: 'A', family_name: 'B', birth_date: '1990-01-01' }, { today, requireNationality: true }).errors).toEqual({
      nationality: 'identity.error.nationality',
    });
  });
});

describe('name matching', () => {
  it.each([
    ['anna', 'ANNA'],
    ['Anna', 'Anna Maria'],
    ['Maria Anna', 'Anna Maria'],
    ['Jérôme', 'JEROME'],
    ['Jean-Luc', 'Jean Luc'],
  ])('given names %s match %s', (claimed, proven) => expect(givenNamesMatch(claimed, proven)).toBe(true));

  it.each([
    ['Anna Maria', 'Anna'],
    ['Ann', 'Anna'],
    ['Peter', 'Anna'],
  ])('given names %s do not match %s', (claimed, proven) => expect(givenNamesMatch(claimed, proven)).toBe(false));

  it.each([
    ['Müller', 'MUELLER'],
    ['Muller', 'Müller'],
    ['Strauss', 'Strauß'],
    ['Meier', 'Meier-Müller'],
    ['Meier Müller', 'Meier-Müller'],
    ["D'Amico", 'D Amico'],
  ])('family names %s match %s', (claimed, proven) => expect(familyNamesMatch(claimed, proven)).toBe(true));

  it.each([
    ['Meier', 'Meierhans'],
    ['Müller', 'Miller'],
    ['Meier', 'Müller'],
  ])('family names %s do not match %s', (claimed, proven) => expect(familyNamesMatch(claimed, proven)).toBe(false));

  it('lists the contradicted fields', () => {
    const claimed = { givenNames: 'Anna', familyName: 'Muster', birthDate: '1985-02-28' };
    expect(identityMismatches(claimed, { givenNames: 'ANNA MARIA', familyName: 'MUSTER', birthDate: '1985-02-28' })).toEqual([]);
    expect(identityMismatches(claimed, { givenNames: 'Anna', familyName: 'Beispiel', birthDate: '1985-02-27' })).toEqual(['familyName', 'birthDate']);
    expect(identityMismatches(claimed, {})).toEqual(['givenNames', 'familyName', 'birthDate']);
  });
});

describe('the identity a stored verification is about', () => {
  const proven = { given_name: 'Anna Maria', family_name: 'Muster', birthdate: '1985-03-14', evidence_type: 'electronic_record' };

  it('is the proven identity for an online or counter identification', () => {
    expect(recordedIdentity('auto', proven)).toEqual({ givenNames: 'Anna Maria', familyName: 'Muster', birthDate: '1985-03-14' });
    expect(recordedIdentity('manual', { ...proven, birthdate: '1985-03-14T00:00:00Z' })?.birthDate).toBe('1985-03-14');
  });

  it('is the checked identity for an AHV check, as the check records it', () => {
    const person = { givenNames: 'Anna', familyName: 'Muster', birthDate: '1985-03-14' };
    expect(recordedIdentity('ahv', { outcome: 'confirmed', ...checkedIdentityEvidence(person) })).toEqual(person);
    expect(recordedIdentity('ahv', proven), 'an AHV check is read from what it checked only').toBeUndefined();
  });

  it('is absent unless names and date of birth are all recorded', () => {
    expect(recordedIdentity('auto', { given_name: 'Anna', family_name: 'Muster' })).toBeUndefined();
    expect(recordedIdentity('auto', { ...proven, birthdate: 'unknown' })).toBeUndefined();
    expect(recordedIdentity('ahv', { outcome: 'confirmed' })).toBeUndefined();
    expect(recordedIdentity('ahv', { checked: { given_names: ' ', family_name: 'Muster', birthdate: '1985-03-14' } })).toBeUndefined();
  });
});
