import { describe, expect, it } from 'vitest';

import { evaluateRequest, fulfilledQors, geofencingCheck, QorSteps, validVerifications, type PolicyCatalogue } from '../../../src/qor/index.js';
import {
  ALL_KIND_SETS,
  autoOnlyCatalogue,
  ANNA,
  held,
  LOT_1,
  LOT_2,
  LOT_2_CH,
  LOT_3,
  LOT_AUTO,
  LOT_AUTO_AHV,
  NOW,
  qor,
  QOR_100,
  QOR_200,
  QOR_300,
  QOR_AUTO,
  QOR_AUTO_AHV,
  QOR_DUMMY,
  QOR_NONE,
  sampleCatalogue,
  SERIAL,
  strength,
  verification,
} from './fixtures.js';

const names = (c: PolicyCatalogue, ...k: Parameters<typeof held>) => fulfilledQors(c, held(...k)).map((q) => q.systemName);

describe('fulfilledQors', () => {
  it('lists every fulfilled QoR, weakest strength first', () => {
    const c = sampleCatalogue();
    expect(names(c)).toEqual([QOR_100]);
    expect(names(c, 'ahv')).toEqual([QOR_100]);
    expect(names(c, 'manual')).toEqual([QOR_100, QOR_200]);
    expect(names(c, 'auto', 'ahv')).toEqual([QOR_100, QOR_200, QOR_300]);
    expect(names(c, 'manual', 'ahv')).toEqual([QOR_100, QOR_200, QOR_300]);
  });

  it('orders by strength level, then id, whatever the row order', () => {
    const c: PolicyCatalogue = {
      strengths: [strength(7, 50), strength(8, 10)],
      qors: [qor(3, 'c', QorSteps.None, 7), qor(2, 'b', QorSteps.None, 8), qor(1, 'a', QorSteps.None, 7)],
      qoas: [],
      lots: [],
    };
    expect(names(c)).toEqual(['b', 'a', 'c']);
  });

  it('leaves out a QoR whose strength does not exist', () => {
    const c: PolicyCatalogue = { strengths: [strength(1, 100)], qors: [qor(1, 'a', QorSteps.None, 1), qor(2, 'b', QorSteps.None, 99)], qoas: [], lots: [] };
    expect(names(c)).toEqual(['a']);
  });

  it('goes from stored verifications to the fulfilled_qors claim', () => {
    const stored = [
      verification({ id: 'video', kind: 'auto', boundSerial: SERIAL.toLowerCase(), identity: ANNA }),
      verification({ id: 'ahv', kind: 'ahv', boundSerial: null, identity: ANNA }),
    ];
    const c = sampleCatalogue();
    expect(fulfilledQors(c, validVerifications(stored, { now: NOW, serial: SERIAL })).map((q) => q.systemName)).toEqual([QOR_100, QOR_200, QOR_300]);
    expect(fulfilledQors(c, validVerifications(stored, { now: NOW, serial: 'NEWSERIAL' })).map((q) => q.systemName)).toEqual([QOR_100]);
  });
});

describe('Dummy rows', () => {
  const c = sampleCatalogue();
  const everything = [QOR_DUMMY, QOR_100, QOR_200, QOR_300, LOT_1, LOT_2, LOT_2_CH, LOT_3];

  it.each(ALL_KIND_SETS.map((k) => [k]))('are never fulfilled and never offered with kinds %j', (k) => {
    expect(fulfilledQors(c, held(...k)).some((q) => q.steps === QorSteps.Dummy)).toBe(false);
    for (const value of everything) {
      const r = evaluateRequest(c, { values: [value], essential: true }, { verifications: held(...k), qoaLevel: 2, passedChecks: new Set([geofencingCheck(LOT_2_CH)]) });
      expect(r.armValues).not.toContain(QOR_DUMMY);
      if (r.satisfied === undefined) expect(r.options.some((o) => o.qor.steps === QorSteps.Dummy)).toBe(false);
    }
  });

  it('are reported unreachable when requested', () => {
    const r = evaluateRequest(c, { values: [QOR_DUMMY], essential: true }, { verifications: held('auto', 'manual', 'ahv'), qoaLevel: 2, passedChecks: new Set() });
    expect(r).toEqual({ essential: true, unknown: false, armValues: [], satisfied: undefined, options: [], unreachable: [{ value: QOR_DUMMY, reason: 'dummy' }] });
  });
});

describe('a table with only the steps 1, 4 and 5', () => {
  const c = autoOnlyCatalogue();
  const state = (k: readonly ('auto' | 'manual' | 'ahv')[]) => ({ verifications: held(...k), qoaLevel: 1, passedChecks: new Set<string>() });

  it('fulfils None always, Auto with auto, AutoAndAhv with auto and ahv', () => {
    expect(names(c)).toEqual([QOR_NONE]);
    expect(names(c, 'manual', 'ahv')).toEqual([QOR_NONE]);
    expect(names(c, 'auto')).toEqual([QOR_NONE, QOR_AUTO]);
    expect(names(c, 'auto', 'ahv')).toEqual([QOR_NONE, QOR_AUTO, QOR_AUTO_AHV]);
  });

  it('offers the automatic method and the AHV check', () => {
    const r = evaluateRequest(c, { values: [LOT_AUTO_AHV, LOT_AUTO], essential: true }, state([]));
    expect(r.satisfied).toBeUndefined();
    if (r.satisfied !== undefined) return;
    expect(r.options).toEqual([
      { value: LOT_AUTO_AHV, qor: expect.objectContaining({ systemName: QOR_AUTO_AHV }), missing: [['auto'], ['ahv']] },
      { value: LOT_AUTO, qor: expect.objectContaining({ systemName: QOR_AUTO }), missing: [['auto']] },
    ]);
  });

  it.each(ALL_KIND_SETS.map((k) => [k]))('never offers manual (kinds %j)', (k) => {
    for (const value of [QOR_NONE, QOR_AUTO, QOR_AUTO_AHV, LOT_AUTO, LOT_AUTO_AHV]) {
      const r = evaluateRequest(c, { values: [value], essential: true }, state(k));
      if (r.satisfied === undefined) {
        expect(r.options.length).toBeGreaterThan(0);
        expect(r.options.flatMap((o) => o.missing.flat())).not.toContain('manual');
      }
    }
  });

  it('is not helped by a manual check', () => {
    expect(evaluateRequest(c, { values: [LOT_AUTO], essential: true }, state(['manual'])).satisfied).toBeUndefined();
    expect(evaluateRequest(c, { values: [LOT_AUTO], essential: true }, state(['auto'])).satisfied).toBe(LOT_AUTO);
  });
});
