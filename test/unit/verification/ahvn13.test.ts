import fs from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ean13CheckDigit, maskAhvn13, parseAhvn13 } from '../../../src/verification/ahv/ahvn13.js';

interface Vectors {
  valid: { compact: string; dotted: string }[];
  invalid: { input: string; why: string }[];
}
const vectors = JSON.parse(fs.readFileSync(new URL('../../../../shared/vectors/upi-ahv/ahvn13-test-vectors.json', import.meta.url), 'utf8')) as Vectors;

describe('AHVN13', () => {
  it.each(vectors.valid)('accepts $dotted in every written form', ({ compact, dotted }) => {
    for (const input of [compact, dotted, dotted.replace(/\./g, ' '), ` ${dotted} `]) {
      expect(parseAhvn13(input)).toEqual({ ok: true, compact, dotted });
    }
  });

  it.each(vectors.invalid)('refuses $input ($why)', ({ input }) => {
    expect(parseAhvn13(input).ok).toBe(false);
  });

  it('says what is wrong', () => {
    expect(parseAhvn13('7569217076986')).toEqual({ ok: false, problem: 'check_digit' });
    expect(parseAhvn13('7550000000003')).toEqual({ ok: false, problem: 'prefix' });
    expect(parseAhvn13('756.9217.0769')).toEqual({ ok: false, problem: 'format' });
    expect(parseAhvn13('756.9217 0769.85')).toEqual({ ok: false, problem: 'format' });
    expect(parseAhvn13('abc')).toEqual({ ok: false, problem: 'format' });
  });

  it('computes the EAN-13 check digit', () => {
    expect(ean13CheckDigit('756921707698')).toBe(5);
    expect(ean13CheckDigit('756000000000')).toBe(2);
  });

  it('masks all but the prefix and the last two digits', () => {
    expect(maskAhvn13('7569217076985')).toBe('756.****.****.85');
  });
});
