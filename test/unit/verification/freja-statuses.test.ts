/**
 * Every transaction status and every error code of the Freja eID API (as transcribed in
 * ../shared/vectors/freja/api-shapes-and-enums.json) has a journey state and a message in every
 * language; the step-up notices all live under `verification.`.
 */
import { describe, expect, it } from 'vitest';

import { SUPPORTED_LOCALES } from '../../../src/config.js';
import { FREJA_API_CODES, FREJA_MESSAGES, FREJA_STATUSES, frejaApiCodeInfo, isFrejaStatus, STATUS_INFO, statusInfo } from '../../../src/verification/freja/index.js';
import { apiError } from '../../../src/verification/freja/errors.js';
import { vectorJson } from './freja-helpers.js';

const shapes = vectorJson<{ transactionStatus: string[]; error_codes: Record<string, string> }>('api-shapes-and-enums.json');
const messages = FREJA_MESSAGES as Record<string, Record<string, string>>;

function hasText(key: string): void {
  for (const locale of SUPPORTED_LOCALES) {
    expect(messages[locale]?.[key], `${locale}: ${key}`).toEqual(expect.any(String));
    expect(messages[locale]![key]!.length).toBeGreaterThan(10);
  }
}

describe('Freja eID statuses', () => {
  it('knows exactly the documented statuses', () => {
    expect([...FREJA_STATUSES].sort()).toEqual([...shapes.transactionStatus].sort());
    for (const s of shapes.transactionStatus) expect(isFrejaStatus(s)).toBe(true);
    expect(isFrejaStatus('APPROVED ')).toBe(false);
    expect(isFrejaStatus(undefined)).toBe(false);
  });

  it.each(FREJA_STATUSES)('maps %s to a journey state and a translated message', (status) => {
    const info = statusInfo(status);
    expect(info.status).toBe(status);
    expect(info.messageKey.startsWith('verification.freja.')).toBe(true);
    hasText(info.messageKey);
  });

  it('keeps waiting only while the app has not answered', () => {
    const states = Object.fromEntries(Object.values(STATUS_INFO).map((i) => [i.status, [i.state, i.final]]));
    expect(states).toEqual({
      STARTED: ['waiting', false],
      DELIVERED_TO_MOBILE: ['confirming', false],
      APPROVED: ['approved', true],
      REJECTED: ['failed', true],
      EXPIRED: ['failed', true],
      CANCELED: ['failed', true],
      RP_CANCELED: ['cancelled', true],
    });
  });
});

describe('Freja eID error codes', () => {
  it('has every documented code, with the documented message', () => {
    expect([...FREJA_API_CODES.keys()].sort((a, b) => a - b)).toEqual(Object.keys(shapes.error_codes).map(Number).sort((a, b) => a - b));
    for (const [code, message] of Object.entries(shapes.error_codes)) expect(frejaApiCodeInfo(Number(code)).message).toBe(message);
  });

  it.each(Object.keys(shapes.error_codes).map(Number))('translates code %i for the user', (code) => {
    const info = frejaApiCodeInfo(code);
    expect(info.messageKey.startsWith('verification.freja.error.')).toBe(true);
    hasText(info.messageKey);
    const err = apiError(code, 422, 'init');
    expect(err.code).toBe('api_error');
    expect(err.providerCode).toBe(code);
    expect(err.messageKey).toBe(info.messageKey);
    expect(err.detail).toContain(`code ${code}`);
  });

  it('gives an undocumented code a generic message, and treats code 0 as an outage', () => {
    expect(frejaApiCodeInfo(4242).messageKey).toBe('verification.freja.error.unknown');
    expect(apiError(0, 422, 'getOneResult')).toMatchObject({ status: 503, transient: true });
    expect(apiError(1005, 422, 'init')).toMatchObject({ status: 422, transient: false, messageKey: 'verification.freja.error.disabled' });
  });

  it('has every message in all four languages, and nothing else', () => {
    const en = Object.keys(messages.en!).sort();
    for (const locale of SUPPORTED_LOCALES) expect(Object.keys(messages[locale]!).sort()).toEqual(en);
    expect(en.every((k) => k.startsWith('verification.freja.'))).toBe(true);
  });
});
