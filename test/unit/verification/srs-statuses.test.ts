import { describe, expect, it } from 'vitest';

import SRS_MESSAGES from '../../../src/verification/srs/messages.json' with { type: 'json' };
import { currentStatus, parseStatus, SRS_STATUSES, statusInfo, type SrsStatus } from '../../../src/verification/srs/statuses.js';

describe('SRS statuses', () => {
  // White paper "Determine the identification status" and integration guide section 4.
  const documented: [string, SrsStatus, string][] = [
    ['created', 'created', 'waiting'],
    ['Created', 'created', 'waiting'],
    ['initialized', 'initialized', 'waiting'],
    ['Initialized', 'initialized', 'waiting'],
    ['Terminated', 'terminated', 'ready'],
    ['Error', 'error', 'failed'],
    ['Waiting for Doc', 'waiting_for_doc', 'processing'],
    ['Waiting for doc', 'waiting_for_doc', 'processing'],
    ['WAITING_FOR_DOC', 'waiting_for_doc', 'processing'],
    ['Identification done', 'identification_done', 'processing'],
    ['Data Ready', 'data_ready', 'ready'],
    ['Data ready', 'data_ready', 'ready'],
    ['Identification cancelled by user', 'cancelled_by_user', 'cancelled'],
    ['Identification cancelled by ISP', 'cancelled_by_isp', 'failed'],
    ['Identification unsuccessful', 'unsuccessful', 'failed'],
  ];

  it.each(documented)('maps "%s" to %s (%s)', (wire, status, journey) => {
    expect(parseStatus(wire)).toBe(status);
    expect(statusInfo(status).journey).toBe(journey);
  });

  it('knows every documented status, and nothing else', () => {
    expect([...SRS_STATUSES.keys()].sort()).toEqual(
      ['cancelled_by_isp', 'cancelled_by_user', 'created', 'data_ready', 'error', 'identification_done', 'initialized', 'terminated', 'unsuccessful', 'waiting_for_doc'].sort(),
    );
    expect(parseStatus('something new')).toBeUndefined();
    expect(parseStatus(42)).toBeUndefined();
    expect(parseStatus(undefined)).toBeUndefined();
  });

  it('has a message for every status in en, de, fr and it', () => {
    for (const info of SRS_STATUSES.values()) {
      for (const locale of ['en', 'de', 'fr', 'it'] as const) {
        const text = (SRS_MESSAGES[locale] as Record<string, string>)[info.messageKey];
        expect(text, `${locale} ${info.messageKey}`).toBeTruthy();
      }
      expect(info.messageKey.startsWith('verification.srs.')).toBe(true);
    }
  });

  it('has the same keys in every language', () => {
    const keys = Object.keys(SRS_MESSAGES.en).sort();
    for (const locale of ['de', 'fr', 'it'] as const) expect(Object.keys(SRS_MESSAGES[locale]).sort()).toEqual(keys);
  });

  it('takes the most advanced status of the history as the current one, whatever the order or clocks', () => {
    // The white paper's own example: "initialized" listed last but dated before the second "created".
    expect(
      currentStatus([
        { status: 'created', date: '2019-11-25T09:19:20.165Z' },
        { status: 'created', date: '2019-11-25T09:25:28.779991Z' },
        { status: 'initialized', date: '2019-11-25T09:19:20.192Z' },
      ]),
    ).toBe('initialized');
    expect(currentStatus([{ status: 'created' }, { status: 'initialized' }, { status: 'waiting_for_doc' }, { status: 'terminated' }, { status: 'data_ready' }])).toBe('data_ready');
    expect(currentStatus([{ status: 'data_ready' }, { status: 'initialized' }])).toBe('data_ready');
    expect(currentStatus([{ status: 'initialized' }, { status: 'terminated' }, { status: 'cancelled_by_user' }])).toBe('cancelled_by_user');
    expect(currentStatus([{ status: 'initialized' }, { status: 'error' }])).toBe('error');
    expect(currentStatus([])).toBeUndefined();
  });
});
