// The error a promise rejects with, checked to be of `type` (a test that expected a rejection
// fails here if the promise resolved or rejected with something else).
import { expect } from 'vitest';

export async function rejectionOf<E>(p: PromiseLike<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(type);
  return e as E;
}
