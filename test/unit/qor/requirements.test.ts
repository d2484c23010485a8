import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../../src/errors.js';
import { fulfils, isQorSteps, missingFor, QorSteps, requirementOf, type MethodKind } from '../../../src/qor/index.js';
import { ALL_KIND_SETS, held, qor } from './fixtures.js';

const { Dummy, None, AutoOrManual, AutoOrManualAndAhv, Auto, AutoAndAhv } = QorSteps;
const A = 'auto' as const;
const M = 'manual' as const;
const H = 'ahv' as const;
const NEVER = 'never' as const;

/** steps × verified kinds → fulfilled?, missing clauses. Written out, not computed. */
const TABLE: Array<[QorSteps, MethodKind[], boolean, MethodKind[][] | 'never']> = [
  [Dummy, [], false, NEVER],
  [Dummy, [A], false, NEVER],
  [Dummy, [M], false, NEVER],
  [Dummy, [H], false, NEVER],
  [Dummy, [A, M], false, NEVER],
  [Dummy, [A, H], false, NEVER],
  [Dummy, [M, H], false, NEVER],
  [Dummy, [A, M, H], false, NEVER],

  [None, [], true, []],
  [None, [A], true, []],
  [None, [M], true, []],
  [None, [H], true, []],
  [None, [A, M], true, []],
  [None, [A, H], true, []],
  [None, [M, H], true, []],
  [None, [A, M, H], true, []],

  [AutoOrManual, [], false, [[A, M]]],
  [AutoOrManual, [A], true, []],
  [AutoOrManual, [M], true, []],
  [AutoOrManual, [H], false, [[A, M]]],
  [AutoOrManual, [A, M], true, []],
  [AutoOrManual, [A, H], true, []],
  [AutoOrManual, [M, H], true, []],
  [AutoOrManual, [A, M, H], true, []],

  [AutoOrManualAndAhv, [], false, [[A, M], [H]]],
  [AutoOrManualAndAhv, [A], false, [[H]]],
  [AutoOrManualAndAhv, [M], false, [[H]]],
  [AutoOrManualAndAhv, [H], false, [[A, M]]],
  [AutoOrManualAndAhv, [A, M], false, [[H]]],
  [AutoOrManualAndAhv, [A, H], true, []],
  [AutoOrManualAndAhv, [M, H], true, []],
  [AutoOrManualAndAhv, [A, M, H], true, []],

  [Auto, [], false, [[A]]],
  [Auto, [A], true, []],
  [Auto, [M], false, [[A]]],
  [Auto, [H], false, [[A]]],
  [Auto, [A, M], true, []],
  [Auto, [A, H], true, []],
  [Auto, [M, H], false, [[A]]],
  [Auto, [A, M, H], true, []],

  [AutoAndAhv, [], false, [[A], [H]]],
  [AutoAndAhv, [A], false, [[H]]],
  [AutoAndAhv, [M], false, [[A], [H]]],
  [AutoAndAhv, [H], false, [[A]]],
  [AutoAndAhv, [A, M], false, [[H]]],
  [AutoAndAhv, [A, H], true, []],
  [AutoAndAhv, [M, H], false, [[A]]],
  [AutoAndAhv, [A, M, H], true, []],
];

const ALL_STEPS = Object.values(QorSteps).filter((v): v is QorSteps => typeof v === 'number');
const key = (steps: QorSteps, k: readonly MethodKind[]) => `${QorSteps[steps]}{${[...k].sort().join(',')}}`;

describe('the steps × kinds table', () => {
  it('covers every steps value with every subset of {auto, manual, ahv} exactly once', () => {
    expect(ALL_STEPS).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ALL_KIND_SETS).toHaveLength(8);
    const expected = ALL_STEPS.flatMap((s) => ALL_KIND_SETS.map((k) => key(s, k))).sort();
    expect(TABLE.map(([s, k]) => key(s, k)).sort()).toEqual(expected);
  });

  it.each(TABLE.map(([s, k, ok, missing]) => ({ name: key(s, k), steps: s, kinds: k, ok, missing })))(
    '$name → fulfilled $ok',
    ({ steps, kinds, ok, missing }) => {
      const row = qor(1, 'urn:servicecore:qor:x', steps, 1);
      expect(fulfils(row, held(...kinds))).toBe(ok);
      expect(missingFor(row, held(...kinds))).toEqual(missing === NEVER ? NEVER : { clauses: missing });
    },
  );
});

describe('requirementOf', () => {
  it('gives each steps value in conjunctive normal form', () => {
    expect(requirementOf(Dummy)).toBe('never');
    expect(requirementOf(None)).toEqual([]);
    expect(requirementOf(AutoOrManual)).toEqual([['auto', 'manual']]);
    expect(requirementOf(AutoOrManualAndAhv)).toEqual([['auto', 'manual'], ['ahv']]);
    expect(requirementOf(Auto)).toEqual([['auto']]);
    expect(requirementOf(AutoAndAhv)).toEqual([['auto'], ['ahv']]);
  });

  it('hands out fresh arrays that a caller may change', () => {
    const first = requirementOf(AutoAndAhv);
    if (first === 'never') throw new Error('expected clauses');
    first[0]?.push('manual');
    first.pop();
    expect(requirementOf(AutoAndAhv)).toEqual([['auto'], ['ahv']]);
  });

  it.each([6, -1, 2.5, Number.NaN])('refuses the unknown steps value %s as a configuration error', (steps) => {
    expect(() => requirementOf(steps as QorSteps)).toThrow(ConfigError);
    expect(() => requirementOf(steps as QorSteps)).toThrow(`steps ${steps} is not a QualityOfRegistrationSteps value`);
    expect(() => fulfils(qor(1, 'urn:x', steps as QorSteps, 1), [])).toThrow(ConfigError);
  });
});

describe('isQorSteps', () => {
  it('accepts exactly the integers 0..5', () => {
    for (const s of [0, 1, 2, 3, 4, 5]) expect(isQorSteps(s)).toBe(true);
    for (const s of [6, -1, 2.5, Number.NaN, '2', 'Auto', null, undefined]) expect(isQorSteps(s)).toBe(false);
  });
});
