// Exit codes (README "Command line"): 0 done, 1 failed, 2 invalid input, 130 interrupted.
export const EXIT = { ok: 0, failed: 1, invalid: 2, interrupted: 130 } as const;

/** An error the user can fix by changing what they typed: exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function exitCodeFor(e: unknown): number {
  const name = (e as Error)?.name ?? '';
  if (e instanceof UsageError || ['SpecError', 'TuneOptionsError', 'ModelConfigError', 'CheckpointError', 'TargetError', 'ZodError'].includes(name)) {
    return EXIT.invalid;
  }
  if (name === 'AbortError') return EXIT.interrupted;
  return EXIT.failed;
}
