/** The error a call fails with, checked to be of the expected class (the test fails otherwise). */
import { expect } from 'vitest';

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** What `fn` throws. */
export function thrownBy<E extends Error>(expected: ErrorClass<E>, fn: () => unknown): E {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error, 'expected an error').toBeInstanceOf(expected);
  return error as E;
}

/** What `promise` rejects with. */
export async function rejectionOf<E extends Error>(expected: ErrorClass<E>, promise: Promise<unknown>): Promise<E> {
  let error: unknown;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  expect(error, 'expected a rejection').toBeInstanceOf(expected);
  return error as E;
}
