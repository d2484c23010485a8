import { describe, expect, it } from 'vitest';

import { MobileIdError } from '../../../src/mobileid/errors.js';
import { isValidMsisdn, maskMsisdn, normaliseMsisdn, redactPhoneNumbers, toMsisdn } from '../../../src/mobileid/msisdn.js';

describe('normaliseMsisdn', () => {
  it.each([
    ['+41 79 123 45 67', '41791234567'],
    ['+41791234567', '41791234567'],
    ['079 123 45 67', '41791234567'],
    ['0791234567', '41791234567'],
    ['079-123-45-67', '41791234567'],
    ['079/123.45.67', '41791234567'],
    ['(079) 123 45 67', '41791234567'],
    ['0041791234567', '41791234567'],
    ['0041 79 123 45 67', '41791234567'],
    ['41791234567', '41791234567'],
    ['+41 (0)79 123 45 67', '41791234567'],
    ['  +41\u00a079\u00a0123\u00a045\u00a067 ', '41791234567'],
    ['+41000092401', '41000092401'],
    ['41700092501', '41700092501'],
    ['+49 170 1234567', '491701234567'],
    ['+423 790 12 34', '4237901234'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseMsisdn(input)).toBe(expected);
  });

  it('uses the default country calling code for national numbers', () => {
    expect(normaliseMsisdn('0170 1234567', '49')).toBe('491701234567');
    expect(normaliseMsisdn('+41 79 123 45 67', '49')).toBe('41791234567');
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['+41 79 ABC 45 67', 'letters'],
    ['079 123 45 6x', 'letters'],
    ['+41 79 123 45', 'too short for +41'],
    ['+41 79 123 45 678', 'too long for +41'],
    ['0041 079 123 45 67', 'trunk 0 inside an international number'],
    ['12345', 'too short'],
    ['+1234567890123456', 'longer than E.164'],
    ['+0791234567', 'country code starting with 0'],
    ['000791234567', 'country code starting with 0'],
    ['++41791234567', 'two plus signs'],
    ['41 79 123 45 67 ext 2', 'letters'],
    ['+41-79-123-45-67;', 'punctuation'],
    ['1'.repeat(60), 'absurdly long'],
    ['4179123456', 'a Swiss number in MSISDN form one digit short'],
    ['417912345678', 'a Swiss number in MSISDN form one digit long'],
    ['1234567890123456', 'digits only, longer than E.164'],
    ['1234567', 'digits only, too short'],
    ['79 123 45 67', 'a Swiss number without its 0: not guessed at (it would be a +7 number)'],
    ['791234567', 'the same, written together'],
    ['1234 5678', 'digits without a prefix that are no number of the default country'],
    ['491701234567', 'a foreign number without + or 00'],
    ['+1 234 5678', 'too short for the North American plan'],
    ['+423 790 12 345', 'too long for Liechtenstein'],
  ])('refuses %j (%s) with invalid_msisdn 400', (input) => {
    let error: unknown;
    try {
      normaliseMsisdn(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MobileIdError);
    expect(error).toMatchObject({ code: 'invalid_msisdn', status: 400, messageKey: 'mobileid.error.invalid_msisdn' });
    const digits = input.replace(/\D/g, '');
    if (digits.length >= 7) expect((error as MobileIdError).detail).not.toContain(digits);
  });

  it('refuses a malformed default country code', () => {
    expect(() => normaliseMsisdn('079 123 45 67', '041')).toThrow(MobileIdError);
    expect(() => normaliseMsisdn('41791234567', '041'), 'even with a number in MSISDN form').toThrow(MobileIdError);
    expect(() => normaliseMsisdn('079 123 45 67', 'CH')).toThrow(MobileIdError);
  });

  it('is idempotent for numbers of the default country', () => {
    for (const n of ['41791234567', '41700092501']) expect(normaliseMsisdn(normaliseMsisdn(n))).toBe(n);
  });
});

describe('toMsisdn (the requests to Mobile ID)', () => {
  it('takes a stored number in MSISDN form of any country as it is', () => {
    for (const n of ['41791234567', '491701234567', '4237901234']) expect(toMsisdn(n)).toBe(n);
  });

  it('normalises what a person typed, and refuses what normaliseMsisdn refuses', () => {
    expect(toMsisdn('+41 70 009 25 01')).toBe('41700092501');
    expect(toMsisdn('0700092501')).toBe('41700092501');
    for (const bad of ['4179123456', '079 12', 'hello', '0041 079 123 45 67']) expect(() => toMsisdn(bad)).toThrow(MobileIdError);
  });

  it('isValidMsisdn mirrors it', () => {
    expect(isValidMsisdn('079 123 45 67')).toBe(true);
    expect(isValidMsisdn('079 123')).toBe(false);
  });
});

describe('maskMsisdn', () => {
  it.each([
    ['+41791234567', '+417******67'],
    ['41791234567', '+417******67'],
    ['+41 79 123 45 67', '+417******67'],
    ['491701234567', '+491*******67'],
    ['123', '+***'],
    ['', '+*'],
  ])('%j → %s', (input, masked) => {
    expect(maskMsisdn(input)).toBe(masked);
  });

  it('redacts numbers inside free text', () => {
    expect(redactPhoneNumbers('user 41791234567 at http://x?msisdn=+41791234567, code 401')).toBe(
      'user +417******67 at http://x?msisdn=+417******67, code 401',
    );
  });
});
