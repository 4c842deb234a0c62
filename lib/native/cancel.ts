// An AbortSignal for a long native call: the call checks a flag the signal sets (the head-bound
// solvers before each pass over the head, a model's build before each tensor), so it stops within
// one step, not minutes later.
import { native } from './index.js';
import type { NativeCancelFlag } from './types-model.js';

/** The error an aborted call rejects with: the signal's reason, else an AbortError naming `what`. */
export function abortError(signal: AbortSignal, what: string): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException(`${what} was aborted`, 'AbortError');
}

/**
 * Runs `solve` with a native cancel flag the signal sets; a call stopped by it (or a signal
 * aborted before it started) rejects with abortError.
 */
export async function cancellable<T>(
  signal: AbortSignal | undefined,
  what: string,
  solve: (cancel: NativeCancelFlag | undefined) => Promise<T>,
): Promise<T> {
  if (!signal) return solve(undefined);
  if (signal.aborted) throw abortError(signal, what);
  const flag = new (native().CancelFlag)();
  const onAbort = () => flag.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await solve(flag);
  } catch (e) {
    throw signal.aborted ? abortError(signal, what) : e;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
