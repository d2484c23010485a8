import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../../src/errors.js';
import {
  evaluateRequest,
  fulfilledQors,
  geofencingCheck,
  QorSteps,
  requiredChecks,
  type LoginState,
  type MethodKind,
  type PolicyCatalogue,
  type PolicyRequest,
  type RequestEvaluation,
} from '../../../src/qor/index.js';
import {
  held,
  lot,
  LOT_1,
  LOT_2,
  LOT_2_CH,
  LOT_3,
  qoa,
  QOA_APP,
  QOA_SIM,
  qor,
  QOR_100,
  QOR_200,
  QOR_300,
  QOR_DUMMY,
  sampleCatalogue,
  strength,
} from './fixtures.js';

const catalogue = sampleCatalogue();
const state = (k: MethodKind[] = [], qoaLevel = 1, checks: string[] = []): LoginState => ({
  verifications: held(...k),
  qoaLevel,
  passedChecks: new Set(checks),
});
const ask = (values: string[], s: LoginState, extra: Partial<PolicyRequest> = {}, c: PolicyCatalogue = catalogue) =>
  evaluateRequest(c, { values, essential: true, ...extra }, s);

function unsatisfied(r: RequestEvaluation) {
  if (r.satisfied !== undefined) throw new Error(`expected an unsatisfied request, got ${r.satisfied}`);
  return r;
}
const qorNamed = (systemName: string) => expect.objectContaining({ systemName });

describe('preference order', () => {
  it('answers with the first value the user meets, in the relying party order', () => {
    expect(ask([QOR_300, QOR_200, QOR_100], state(['auto']))).toEqual({
      essential: true,
      unknown: false,
      satisfied: QOR_200,
      armValues: [QOR_200, QOR_100],
    });
    expect(ask([QOR_300, QOR_200, QOR_100], state(['auto', 'ahv'])).satisfied).toBe(QOR_300);
    expect(ask([QOR_300, QOR_200, QOR_100], state()).satisfied).toBe(QOR_100);
  });

  it('follows the order even when a stronger value is met too', () => {
    const r = ask([QOR_100, QOR_300], state(['manual', 'ahv']));
    expect(r.satisfied).toBe(QOR_100);
    expect(r.armValues).toEqual([QOR_100, QOR_300]);
  });

  it('lists options in preference order and ignores repeated values', () => {
    const r = unsatisfied(ask([QOR_300, QOR_200, QOR_300], state()));
    expect(r.options).toEqual([
      { value: QOR_300, qor: qorNamed(QOR_300), missing: [['auto', 'manual'], ['ahv']] },
      { value: QOR_200, qor: qorNamed(QOR_200), missing: [['auto', 'manual']] },
    ]);
    expect(r.unreachable).toEqual([]);
  });

  it('asks only for what is still missing', () => {
    const r = unsatisfied(ask([QOR_300], state(['manual'])));
    expect(r.options).toEqual([{ value: QOR_300, qor: qorNamed(QOR_300), missing: [['ahv']] }]);
  });
});

describe('essential and voluntary requests', () => {
  it.each([true, false])('passes essential=%s through, met or not', (essential) => {
    expect(ask([QOR_200], state(['auto']), { essential })).toMatchObject({ essential, satisfied: QOR_200 });
    expect(ask([QOR_200], state(), { essential })).toMatchObject({ essential, satisfied: undefined });
    expect(ask(['urn:unknown'], state(), { essential })).toMatchObject({ essential, unknown: true });
  });
});

describe('Levels of Trust', () => {
  it('is met when QoA, checks and QoR strength are all met', () => {
    expect(ask([LOT_1], state()).satisfied).toBe(LOT_1);
    expect(ask([LOT_2], state(['manual'])).satisfied).toBe(LOT_2);
    expect(ask([LOT_3], state(['manual', 'ahv'], 2)).satisfied).toBe(LOT_3);
    expect(ask([LOT_2_CH], state(['auto'], 1, [geofencingCheck(LOT_2_CH)])).satisfied).toBe(LOT_2_CH);
  });

  it('is unreachable when the login QoA is too weak, whatever the user verified', () => {
    const r = unsatisfied(ask([LOT_3], state(['auto', 'manual', 'ahv'], 1)));
    expect(r.unreachable).toEqual([{ value: LOT_3, reason: 'qoa_too_low' }]);
    expect(r.options).toEqual([]);
    expect(r.armValues).toEqual([]);
  });

  it('is unreachable when a check it asks for did not pass', () => {
    const r = unsatisfied(ask([LOT_2_CH], state(['auto'], 2, ['something-else'])));
    expect(r.unreachable).toEqual([{ value: LOT_2_CH, reason: 'check_failed' }]);
    expect(r.options).toEqual([]);
  });

  it('counts a location checked against one level\'s thresholds for that level only', () => {
    const strict = lot(10, 'urn:lot:strict', 1, 1, { geofencing: { required: true, allowedCountries: ['CH'], minLocationConfidence: 0.9 } });
    const lax = lot(11, 'urn:lot:lax', 1, 1, { geofencing: { required: true, allowedCountries: [], minLocationConfidence: 0.5 } });
    const c = { ...catalogue, lots: [...catalogue.lots, strict, lax] };
    const r = ask(['urn:lot:lax', 'urn:lot:strict'], state(['auto'], 2, [geofencingCheck('urn:lot:lax')]), {}, c);
    expect(r.satisfied).toBe('urn:lot:lax');
    expect(r.armValues).toEqual(['urn:lot:lax']);
    const onlyStrict = unsatisfied(ask(['urn:lot:strict'], state(['auto'], 2, [geofencingCheck('urn:lot:lax')]), {}, c));
    expect(onlyStrict.unreachable).toEqual([{ value: 'urn:lot:strict', reason: 'check_failed' }]);
  });

  it('does not require geofencing thresholds that check nothing', () => {
    const c = { ...catalogue, lots: [lot(9, 'urn:lot:open', 1, 1, { geofencing: { required: false, allowedCountries: [], minLocationConfidence: 0.7 } })] };
    expect(requiredChecks(c.lots[0]!)).toEqual([]);
    expect(requiredChecks(catalogue.lots.find((l) => l.systemName === LOT_2_CH)!)).toEqual([`geofencing:${LOT_2_CH}`]);
    expect(ask(['urn:lot:open'], state(), {}, c).satisfied).toBe('urn:lot:open');
  });

  it('offers the weakest non-Dummy QoR strong enough when the QoR strength is not met', () => {
    // The Dummy row (id 5, strength 200) sorts before QoR 200 and must be skipped.
    expect(unsatisfied(ask([LOT_2], state(['ahv']))).options).toEqual([{ value: LOT_2, qor: qorNamed(QOR_200), missing: [['auto', 'manual']] }]);
    expect(unsatisfied(ask([LOT_3], state([], 2))).options).toEqual([
      { value: LOT_3, qor: qorNamed(QOR_300), missing: [['auto', 'manual'], ['ahv']] },
    ]);
  });

  it('picks the lowest id among equally strong QoRs', () => {
    const c = { ...catalogue, qors: [...catalogue.qors, qor(25, 'urn:qor:200-auto', QorSteps.Auto, 2), qor(15, 'urn:qor:200-ahv', QorSteps.AutoAndAhv, 2)] };
    expect(unsatisfied(ask([LOT_2], state(), {}, c)).options).toEqual([{ value: LOT_2, qor: qorNamed('urn:qor:200-ahv'), missing: [['auto'], ['ahv']] }]);
  });

  it('is met by a stronger QoR than it asks for', () => {
    const c: PolicyCatalogue = {
      strengths: [strength(1, 100), strength(2, 200), strength(3, 300)],
      qors: [qor(1, 'urn:qor:auto', QorSteps.Auto, 2), qor(2, 'urn:qor:counter-ahv', QorSteps.AutoOrManualAndAhv, 3)],
      qoas: [qoa(1, QOA_APP, 1)],
      lots: [lot(1, 'urn:lot:200', 1, 2)],
    };
    expect(ask(['urn:lot:200'], state(['manual', 'ahv']), {}, c).satisfied).toBe('urn:lot:200');
    expect(unsatisfied(ask(['urn:lot:200'], state(['manual']), {}, c)).options).toEqual([
      { value: 'urn:lot:200', qor: qorNamed('urn:qor:auto'), missing: [['auto']] },
    ]);
  });

  it('is not met by a weaker QoR, nor by a Dummy row of its strength', () => {
    const c: PolicyCatalogue = {
      ...catalogue,
      strengths: [...catalogue.strengths, strength(4, 400)],
      qors: [...catalogue.qors, qor(40, 'urn:qor:400-dummy', QorSteps.Dummy, 4)],
      lots: [...catalogue.lots, lot(40, 'urn:lot:400', 1, 4)],
    };
    const r = unsatisfied(ask(['urn:lot:400'], state(['auto', 'manual', 'ahv']), {}, c));
    expect(r.unreachable).toEqual([{ value: 'urn:lot:400', reason: 'no_qor' }]);
    expect(r.options).toEqual([]);
  });

  it('reports a row that references nothing as misconfigured', () => {
    const c = {
      ...catalogue,
      qors: [...catalogue.qors, qor(99, 'urn:qor:orphan', QorSteps.None, 99)],
      lots: [...catalogue.lots, lot(97, 'urn:lot:no-qoa', 99, 1), lot(98, 'urn:lot:no-strength', 1, 99)],
    };
    const r = unsatisfied(ask(['urn:qor:orphan', 'urn:lot:no-qoa', 'urn:lot:no-strength'], state(['auto', 'manual', 'ahv'], 2), {}, c));
    expect(r.unreachable).toEqual([
      { value: 'urn:qor:orphan', reason: 'misconfigured' },
      { value: 'urn:lot:no-qoa', reason: 'misconfigured' },
      { value: 'urn:lot:no-strength', reason: 'misconfigured' },
    ]);
  });

  it('offers what can be verified and reports what cannot, side by side', () => {
    const r = unsatisfied(ask([LOT_3, QOR_DUMMY, LOT_2_CH, LOT_2], state([], 1)));
    expect(r.options).toEqual([{ value: LOT_2, qor: qorNamed(QOR_200), missing: [['auto', 'manual']] }]);
    expect(r.unreachable).toEqual([
      { value: LOT_3, reason: 'qoa_too_low' },
      { value: QOR_DUMMY, reason: 'dummy' },
      { value: LOT_2_CH, reason: 'check_failed' },
    ]);
  });
});

describe('Quality of Authentication values', () => {
  it('are met by a login at least that strong', () => {
    expect(ask([QOA_SIM], state([], 2)).satisfied).toBe(QOA_SIM);
    expect(ask([QOA_APP], state([], 2)).satisfied).toBe(QOA_APP);
    expect(ask([QOA_SIM, QOA_APP], state([], 1))).toMatchObject({ satisfied: QOA_APP, armValues: [QOA_APP] });
  });

  it('are unreachable by verifying', () => {
    expect(unsatisfied(ask([QOA_SIM], state(['auto', 'ahv'], 1))).unreachable).toEqual([{ value: QOA_SIM, reason: 'qoa_too_low' }]);
  });
});

describe('arm_values and fulfilled_qors', () => {
  it('arm_values holds only requested values passed; fulfilled_qors holds every QoR fulfilled', () => {
    const s = state(['auto', 'ahv'], 2);
    const r = ask([LOT_2], s);
    expect(r).toMatchObject({ satisfied: LOT_2, armValues: [LOT_2] });
    expect(fulfilledQors(catalogue, s.verifications).map((q) => q.systemName)).toEqual([QOR_100, QOR_200, QOR_300]);
  });

  it('arm_values holds every requested value passed, not only the one answered', () => {
    const r = ask([LOT_3, 'urn:unknown', QOR_300, LOT_2_CH, LOT_2, QOR_DUMMY], state(['manual', 'ahv'], 2));
    expect(r).toMatchObject({ satisfied: LOT_3, armValues: [LOT_3, QOR_300, LOT_2] });
  });

  it('arm_values lists passed values even when the request is not satisfied', () => {
    const r = unsatisfied(ask([QOR_300, QOR_100], state(['auto']), { minimum: LOT_3 }));
    expect(r.armValues).toEqual([QOR_100]);
  });
});

describe('the per-client minimum', () => {
  it('must be met as well: a weaker requested value alone does not satisfy', () => {
    const r = unsatisfied(ask([QOR_100], state(), { minimum: QOR_300 }));
    expect(r.armValues).toEqual([QOR_100]);
    expect(r.options).toEqual([{ value: QOR_100, qor: qorNamed(QOR_300), missing: [['auto', 'manual'], ['ahv']] }]);
    expect(r.unreachable).toEqual([]);
  });

  it('lets the requested value answer once the minimum is met, and adds the minimum to arm_values', () => {
    expect(ask([QOR_100], state(['auto', 'ahv']), { minimum: QOR_300 })).toEqual({
      essential: true,
      unknown: false,
      satisfied: QOR_100,
      armValues: [QOR_100, QOR_300],
    });
    expect(ask([QOR_300, QOR_100], state(['auto', 'ahv']), { minimum: QOR_300 })).toMatchObject({ satisfied: QOR_300, armValues: [QOR_300, QOR_100] });
  });

  it('adds what the minimum needs to each option', () => {
    const r = unsatisfied(ask([QOR_200], state(), { minimum: QOR_300 }));
    expect(r.options).toEqual([{ value: QOR_200, qor: qorNamed(QOR_200), missing: [['auto', 'manual'], ['ahv']] }]);
  });

  it('drops a choice that a narrower requirement already decides', () => {
    const c: PolicyCatalogue = {
      strengths: [strength(1, 100), strength(2, 200)],
      qors: [qor(1, 'urn:qor:either', QorSteps.AutoOrManual, 1), qor(2, 'urn:qor:auto', QorSteps.Auto, 2)],
      qoas: [],
      lots: [],
    };
    expect(unsatisfied(ask(['urn:qor:auto'], state(), { minimum: 'urn:qor:either' }, c)).options).toEqual([
      { value: 'urn:qor:auto', qor: qorNamed('urn:qor:auto'), missing: [['auto']] },
    ]);
    expect(unsatisfied(ask(['urn:qor:either'], state(), { minimum: 'urn:qor:auto' }, c)).options).toEqual([
      { value: 'urn:qor:either', qor: qorNamed('urn:qor:either'), missing: [['auto']] },
    ]);
  });

  it('makes everything unreachable when the minimum is unreachable', () => {
    const r = unsatisfied(ask([QOR_200, QOR_DUMMY], state(['auto', 'ahv'], 1), { minimum: LOT_3 }));
    expect(r.options).toEqual([]);
    expect(r.unreachable).toEqual([
      { value: QOR_DUMMY, reason: 'dummy' },
      { value: LOT_3, reason: 'qoa_too_low' },
    ]);
    expect(r.armValues).toEqual([QOR_200]);
  });

  it('reports a minimum that is also requested only once', () => {
    const r = unsatisfied(ask([LOT_3], state([], 1), { minimum: LOT_3 }));
    expect(r.unreachable).toEqual([{ value: LOT_3, reason: 'qoa_too_low' }]);
    const o = unsatisfied(ask([QOR_300], state(), { minimum: QOR_300 }));
    expect(o.options).toEqual([{ value: QOR_300, qor: qorNamed(QOR_300), missing: [['auto', 'manual'], ['ahv']] }]);
    expect(ask([QOR_300], state(['auto', 'ahv']), { minimum: QOR_300 }).armValues).toEqual([QOR_300]);
  });

  it('is the request when nothing else is asked for', () => {
    expect(ask([], state(['auto']), { minimum: LOT_2 })).toEqual({ essential: true, unknown: false, satisfied: LOT_2, armValues: [LOT_2] });
    expect(unsatisfied(ask([], state(), { minimum: LOT_2 })).options).toEqual([{ value: LOT_2, qor: qorNamed(QOR_200), missing: [['auto', 'manual']] }]);
  });

  it('is a configuration error when it names nothing', () => {
    expect(() => ask([QOR_100], state(), { minimum: 'urn:servicecore:qor:gone' })).toThrow(ConfigError);
    expect(() => ask([QOR_100], state(), { minimum: 'urn:servicecore:qor:gone' })).toThrow('urn:servicecore:qor:gone');
  });
});

describe('unknown values', () => {
  it('are ignored when another value is known', () => {
    expect(ask(['urn:unknown', QOR_200], state(['auto']))).toEqual({ essential: true, unknown: false, satisfied: QOR_200, armValues: [QOR_200] });
    const r = unsatisfied(ask(['urn:unknown', QOR_200], state()));
    expect(r.unknown).toBe(false);
    expect(r.options.map((o) => o.value)).toEqual([QOR_200]);
  });

  it('are flagged when no value is known', () => {
    expect(ask(['urn:a', 'urn:b'], state(['auto', 'manual', 'ahv'], 2))).toEqual({
      essential: true,
      unknown: true,
      armValues: [],
      satisfied: undefined,
      options: [],
      unreachable: [],
    });
  });

  it('leave the minimum in force', () => {
    expect(ask(['urn:a'], state(['auto']), { minimum: QOR_200, essential: false })).toMatchObject({ unknown: true, satisfied: QOR_200, armValues: [QOR_200] });
    expect(unsatisfied(ask(['urn:a'], state(), { minimum: QOR_200 }))).toMatchObject({ unknown: true, options: [{ value: QOR_200 }] });
  });

  it('an empty request asks for nothing', () => {
    expect(ask([], state(['auto']))).toEqual({ essential: true, unknown: false, armValues: [], satisfied: undefined, options: [], unreachable: [] });
  });

  it('are matched exactly, not by case or prefix', () => {
    expect(ask([QOR_200.toUpperCase(), `${QOR_200} `, 'urn:servicecore:qor'], state(['auto'])).unknown).toBe(true);
  });
});

describe('purity', () => {
  it('neither changes its inputs nor depends on earlier calls', () => {
    const c = sampleCatalogue();
    const snapshot = JSON.stringify(c);
    const s = state(['manual']);
    const first = ask([LOT_3, QOR_300], s, { minimum: QOR_200 }, c);
    const r = unsatisfied(ask([QOR_300], s, {}, c));
    r.options[0]?.missing.push(['ahv']);
    r.options[0]?.missing[0]?.push('auto');
    expect(ask([LOT_3, QOR_300], s, { minimum: QOR_200 }, c)).toEqual(first);
    expect(unsatisfied(ask([QOR_300], s, {}, c)).options[0]?.missing).toEqual([['ahv']]);
    const shared = unsatisfied(ask([QOR_100, LOT_1], s, { minimum: QOR_300 }, c));
    shared.options[0]?.missing[0]?.push('manual');
    expect(shared.options[1]?.missing).toEqual([['ahv']]);
    expect(JSON.stringify(c)).toBe(snapshot);
    expect(s.verifications.map((v) => v.kind)).toEqual(['manual']);
    expect(held('auto').map((v) => v.kind)).toEqual(['auto']);
  });
});
