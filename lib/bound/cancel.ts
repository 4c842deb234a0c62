// An AbortSignal for the head-bound solvers: the native solve checks a flag before each pass over
// the head, so a bound of thousands of targets on a big head stops within one pass, not minutes.
import { native } from '../native/index.js';
import type { NativeCancelFlag } from '../native/types-bound.js';

/** The error an aborted call rejects with: the signal's reason, else an AbortError naming `what`. */
export function abortError(signal: AbortSignal, what: string): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException(`${what} was aborted`, 'AbortError');
}

/**
 * Runs `solve` with a native cancel flag the signal sets; a solve stopped by it (or a signal
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
