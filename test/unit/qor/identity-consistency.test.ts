/**
 * An AHV check counts towards an "…AndAhv" QoR only when it is about the person the online or
 * counter identification it is combined with proved: the same rule for the step-up page
 * (`evaluateRequest`, `evaluateLogin`) and for `fulfilled_qors` in tokens (`qorClaims`).
 */
import { describe, expect, it } from 'vitest';

import { samePerson, type PersonIdentity } from '../../../src/identity/index.js';
import {
  corroboratedAhvChecks,
  countingKinds,
  evaluateLogin,
  evaluateRequest,
  fulfilledQors,
  missingFor,
  qorClaims,
  requirementOf,
  QorSteps,
  type HeldVerification,
  type RequestEvaluation,
} from '../../../src/qor/index.js';
import {
  ANNA,
  autoOnlyCatalogue,
  LOT_3,
  NOW,
  QOA_SIM,
  qor,
  QOR_100,
  QOR_200,
  QOR_300,
  QOR_AUTO,
  QOR_AUTO_AHV,
  QOR_NONE,
  sampleCatalogue,
  SERIAL,
  verification,
} from './fixtures.js';

/** The sample catalogue's QOR_300 is AutoOrManualAndAhv (the product's QoR 400). */
const catalogue = sampleCatalogue();
const ANNA_AS_TYPED: PersonIdentity = { givenNames: 'anna', familyName: 'MUSTER', birthDate: '1985-03-14' };
const JUERG: PersonIdentity = { givenNames: 'Jürg Peter', familyName: 'Müller', birthDate: '1970-07-01' };
const ANNA_OTHER_BIRTHDAY: PersonIdentity = { ...ANNA, birthDate: '1985-04-12' };

const v = (kind: HeldVerification['kind'], identity?: PersonIdentity): HeldVerification => (identity ? { kind, identity } : { kind });
const state = (...verifications: HeldVerification[]) => ({ verifications, qoaLevel: 2, passedChecks: new Set<string>() });
const names = (...held: HeldVerification[]) => fulfilledQors(catalogue, held).map((q) => q.systemName);

function unsatisfied(r: RequestEvaluation) {
  if (r.satisfied !== undefined) throw new Error(`expected an unsatisfied request, got ${r.satisfied}`);
  return r;
}

describe('an AHV check combined with an online or counter identification', () => {
  it('counts when it checked the person the other part proved, however the names were written', () => {
    expect(names(v('auto', ANNA), v('ahv', ANNA))).toEqual([QOR_100, QOR_200, QOR_300]);
    expect(names(v('manual', ANNA), v('ahv', ANNA_AS_TYPED))).toEqual([QOR_100, QOR_200, QOR_300]);
    expect(names(v('ahv', { givenNames: 'Jürg', familyName: 'Mueller', birthDate: '1970-07-01' }), v('auto', JUERG))).toEqual([QOR_100, QOR_200, QOR_300]);
    expect(evaluateRequest(catalogue, { values: [QOR_300], essential: true }, state(v('auto', ANNA), v('ahv', ANNA_AS_TYPED)))).toEqual({
      essential: true,
      unknown: false,
      satisfied: QOR_300,
      armValues: [QOR_300],
    });
  });

  it('does not count when it checked another person: the QoR is not fulfilled and the AHV part is offered again', () => {
    expect(names(v('auto', ANNA), v('ahv', JUERG))).toEqual([QOR_100, QOR_200]);
    expect(names(v('manual', JUERG), v('ahv', ANNA))).toEqual([QOR_100, QOR_200]);
    const r = unsatisfied(evaluateRequest(catalogue, { values: [QOR_300], essential: true }, state(v('auto', ANNA), v('ahv', JUERG))));
    expect(r.options).toEqual([{ value: QOR_300, qor: expect.objectContaining({ systemName: QOR_300 }), missing: [['ahv']], unmatched: ['ahv'] }]);
    expect(r.armValues).toEqual([]);
  });

  it('does not count when only the date of birth differs', () => {
    expect(names(v('auto', ANNA), v('ahv', ANNA_OTHER_BIRTHDAY))).toEqual([QOR_100, QOR_200]);
    expect(missingFor(catalogue.qors.find((q) => q.systemName === QOR_300)!, [v('auto', ANNA), v('ahv', ANNA_OTHER_BIRTHDAY)])).toEqual({
      clauses: [['ahv']],
      unmatched: ['ahv'],
    });
  });

  it('does not count for an AND when it recorded no identity', () => {
    expect(names(v('auto', ANNA), v('ahv'))).toEqual([QOR_100, QOR_200]);
    const r = unsatisfied(evaluateRequest(catalogue, { values: [QOR_300], essential: true }, state(v('auto', ANNA), v('ahv'))));
    expect(r.options[0]).toMatchObject({ missing: [['ahv']], unmatched: ['ahv'] });
    // Alone it is not done either: both parts remain.
    const alone = unsatisfied(evaluateRequest(catalogue, { values: [QOR_300], essential: true }, state(v('ahv'))));
    expect(alone.options[0]).toMatchObject({ missing: [['auto', 'manual'], ['ahv']], unmatched: ['ahv'] });
  });

  it('does not count next to an identification that recorded no identity', () => {
    expect(names(v('auto'), v('ahv', ANNA))).toEqual([QOR_100, QOR_200]);
  });

  it('done first, counts for its part until the other part proves someone else', () => {
    const first = unsatisfied(evaluateRequest(catalogue, { values: [QOR_300], essential: true }, state(v('ahv', JUERG))));
    expect(first.options).toEqual([{ value: QOR_300, qor: expect.objectContaining({ systemName: QOR_300 }), missing: [['auto', 'manual']] }]);
    const then = unsatisfied(evaluateRequest(catalogue, { values: [QOR_300], essential: true }, state(v('ahv', JUERG), v('auto', ANNA))));
    expect(then.options[0]).toMatchObject({ missing: [['ahv']], unmatched: ['ahv'] });
    // A second check of the proven person fixes it; the old one stays harmlessly on record.
    expect(evaluateRequest(catalogue, { values: [QOR_300], essential: true }, state(v('ahv', JUERG), v('auto', ANNA), v('ahv', ANNA))).satisfied).toBe(QOR_300);
  });

  it('pairs with any one identification of the kinds it is combined with', () => {
    // AutoOrManualAndAhv: the counter proved the checked person, the online method someone else.
    expect(names(v('auto', JUERG), v('manual', ANNA), v('ahv', ANNA))).toEqual([QOR_100, QOR_200, QOR_300]);
    // AutoAndAhv: only an automatic identification can be the partner.
    const c = autoOnlyCatalogue();
    expect(fulfilledQors(c, [v('auto', JUERG), v('manual', ANNA), v('ahv', ANNA)]).map((q) => q.systemName)).toEqual([QOR_NONE, QOR_AUTO]);
    expect(fulfilledQors(c, [v('auto', ANNA), v('ahv', ANNA)]).map((q) => q.systemName)).toEqual([QOR_NONE, QOR_AUTO, QOR_AUTO_AHV]);
  });

  it('applies to Levels of Trust through the QoR they need', () => {
    const mismatch = unsatisfied(evaluateRequest(catalogue, { values: [LOT_3], essential: true }, state(v('auto', ANNA), v('ahv', JUERG))));
    expect(mismatch.options[0]).toMatchObject({ value: LOT_3, missing: [['ahv']], unmatched: ['ahv'] });
    expect(evaluateRequest(catalogue, { values: [LOT_3], essential: true }, state(v('auto', ANNA), v('ahv', ANNA))).satisfied).toBe(LOT_3);
  });

  it('is not needed where the AHV check is not combined by AND', () => {
    for (const steps of [QorSteps.None, QorSteps.AutoOrManual, QorSteps.Auto] as const) {
      const requirement = requirementOf(steps);
      if (requirement === 'never') throw new Error('unexpected');
      expect(countingKinds(requirement, [v('ahv')]).has('ahv')).toBe(true);
    }
    expect(countingKinds([['auto'], ['ahv']], [v('auto', ANNA), v('ahv', JUERG)])).toEqual(new Set(['auto']));
    expect(countingKinds([['auto'], ['ahv']], [v('auto', ANNA), v('ahv', ANNA)])).toEqual(new Set(['auto', 'ahv']));
    expect(missingFor(qor(1, 'x', QorSteps.AutoOrManual, 1), [v('ahv', JUERG), v('auto', ANNA)])).toEqual({ clauses: [] });
  });
});

describe('the same rule in tokens and on the step-up page', () => {
  const login = { qoaMethod: 'mobileid-sim', passedChecks: [], serial: SERIAL };
  const online = verification({ id: 'online', kind: 'auto', method: 'freja-eid', identity: ANNA });
  const otherAhv = verification({ id: 'ahv-1', kind: 'ahv', method: 'ahv-upi', identity: JUERG, verifiedAt: new Date('2024-02-01T00:00:00Z') });
  const ownAhv = verification({ id: 'ahv-2', kind: 'ahv', method: 'ahv-upi', identity: ANNA, verifiedAt: new Date('2024-03-01T00:00:00Z') });

  it('leaves a QoR out of fulfilled_qors while the AHV check is about another person', () => {
    const claims = qorClaims(catalogue, [online, otherAhv], login, { values: [QOR_300], essential: false }, NOW);
    expect(claims.fulfilled_qors).toEqual([QOR_100, QOR_200]);
    expect(claims.arm_values).toEqual([]);
    expect(unsatisfied(evaluateLogin(catalogue, [online, otherAhv], login, { values: [QOR_300], essential: true }, NOW)).options[0]).toMatchObject({
      missing: [['ahv']],
      unmatched: ['ahv'],
    });
  });

  it('lists it once a check of the proven person counts', () => {
    const claims = qorClaims(catalogue, [online, otherAhv, ownAhv], login, { values: [QOR_300], essential: false }, NOW);
    expect(claims.fulfilled_qors).toEqual([QOR_100, QOR_200, QOR_300]);
    expect(claims.arm_values).toEqual([QOR_300]);
    expect(evaluateLogin(catalogue, [online, otherAhv, ownAhv], login, { values: [QOR_300, QOA_SIM], essential: true }, NOW).satisfied).toBe(QOR_300);
  });

  it('does not let a check bound to an old serial pair with the identification', () => {
    const stale = { ...ownAhv, boundSerial: 'MIDCHEOLD0000001' };
    expect(qorClaims(catalogue, [online, otherAhv, stale], login, { values: [], essential: false }, NOW).fulfilled_qors).toEqual([QOR_100, QOR_200]);
  });
});

describe('samePerson', () => {
  it('compares names as at a counter, with the shorter list of given names on either side', () => {
    expect(samePerson(ANNA, ANNA_AS_TYPED)).toBe(true);
    expect(samePerson(ANNA_AS_TYPED, ANNA)).toBe(true);
    expect(samePerson({ givenNames: 'Maria', familyName: 'Rossi', birthDate: '1990-12-24' }, { givenNames: 'Maria', familyName: 'Rossi-Bianchi', birthDate: '1990-12-24' })).toBe(true);
    expect(samePerson(JUERG, { givenNames: 'JUERG', familyName: 'MULLER', birthDate: '1970-07-01T00:00:00Z' })).toBe(true);
  });

  it('tells different people apart', () => {
    expect(samePerson(ANNA, JUERG)).toBe(false);
    expect(samePerson(ANNA, ANNA_OTHER_BIRTHDAY)).toBe(false);
    expect(samePerson(ANNA, { ...ANNA, givenNames: 'Anna Lea' })).toBe(false);
    expect(samePerson(ANNA, { ...ANNA, familyName: 'Meier' })).toBe(false);
  });
});

describe('which AHV numbers may be released', () => {
  const check = (id: string, identity?: PersonIdentity) => verification({ id, method: 'ahv-upi', kind: 'ahv', ...(identity ? { identity } : {}) });
  const proof = (identity?: PersonIdentity) => verification({ id: 'proof', kind: 'auto', ...(identity ? { identity } : {}) });

  it('only checks about a person another verification proved', () => {
    expect(corroboratedAhvChecks([proof(ANNA), check('a', ANNA), check('j', JUERG)]).map((v) => v.id)).toEqual(['a']);
  });

  it('none for a check of typed details alone, or one without a recorded identity', () => {
    expect(corroboratedAhvChecks([check('a', ANNA)])).toEqual([]);
    expect(corroboratedAhvChecks([proof(ANNA), check('x')])).toEqual([]);
    expect(corroboratedAhvChecks([proof(), check('a', ANNA)])).toEqual([]);
  });
});
