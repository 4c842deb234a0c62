// Native calls reject on a worker thread, so their stack says nothing about the caller.
// Capture an Error where the user called us and move the native message onto it (sharp's
// lib/output.mjs pattern).
export async function withCallerStack<T>(what: string, run: () => Promise<T>): Promise<T> {
  const here = new Error(what);
  try {
    return await run();
  } catch (e) {
    here.message = `${what}: ${(e as Error).message ?? String(e)}`;
    (here as Error & { cause?: unknown }).cause = e;
    throw here;
  }
}

export class DisposedError extends Error {
  constructor(what: string) {
    super(`${what} was disposed`);
    this.name = 'DisposedError';
  }
}
