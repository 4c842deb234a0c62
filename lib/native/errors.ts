// Native calls reject on a worker thread, so their stack says nothing about the caller.
// Capture an Error where the user called us and move the native message onto it (sharp's
// lib/output.mjs pattern).
export async function withCallerStack<T>(what: string, run: () => Promise<T>): Promise<T> {
  const here = new NativeError(what);
  try {
    return await run();
  } catch (e) {
    // A disposed model is the caller's mistake, told as every other call tells it (instanceof DisposedError).
    if (e instanceof DisposedError) throw e;
    here.message = `${what}: ${nativeMessage(e)}`;
    (here as Error & { cause?: unknown }).cause = e;
    throw here;
  }
}

/** What the addon rejected (a shape, a device, an id), re-thrown where the user called it. */
export class NativeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NativeError';
  }
}

/** A call on a model after its dispose(), which frees its weights for good. */
export class DisposedError extends Error {
  constructor(what: string) {
    super(`${what} was disposed: load it again (loadModel) for this call, or dispose of it only after its last one`);
    this.name = 'DisposedError';
  }
}

/** A native error's message without libtorch's C++ backtrace lines. */
export function nativeMessage(e: unknown): string {
  const m = (e as Error)?.message ?? String(e);
  return m.split(/\nException raised from |\nFrame \d|\n\s*frame #/)[0];
}
