// The error a call fails with: a promise's rejection checked to be of `type` (a test that expected
// a rejection fails here if the promise resolved or rejected with something else), or whatever a
// call throws or rejects with.
import { expect } from 'vitest';

export async function rejectionOf<E>(p: PromiseLike<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(type);
  return e as E;
}

/** The error `call` throws or its promise rejects with; a call that does not fail fails the test. */
export async function errorOf(call: () => unknown): Promise<Error> {
  try {
    await call();
  } catch (e) {
    return e as Error;
  }
  throw new Error('the call did not fail');
}
