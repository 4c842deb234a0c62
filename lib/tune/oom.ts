// What to do when a tuner step runs out of device memory: halve the batch and restart the rows in
// flight (their results depend only on their seeds, so a restart changes nothing but time), again
// if needed, down to one row, which failing is a real error. In deterministic mode a row's batch
// is fixed by the plan, so the batch cannot shrink: the error says which batch size to lower.

export function isOutOfMemory(e: unknown): boolean {
  return /out of memory|not enough memory/i.test((e as Error)?.message ?? '');
}

export type OomDecision = { retry: true; slots: number; warning: string } | { retry: false; error: unknown };

export function onOutOfMemory(
  e: unknown,
  slots: number,
  context: { device: string; deterministic: boolean },
): OomDecision {
  if (!isOutOfMemory(e)) return { retry: false, error: e };
  const first = ((e as Error).message ?? '').split('\n')[0];
  if (context.deterministic) {
    return {
      retry: false,
      error: new Error(
        `out of memory on ${context.device} with a batch of ${slots} rows (${first}); ` +
          'deterministic mode runs rows in fixed groups of batchSize, so it cannot halve the batch: ' +
          'rerun with a smaller batchSize',
        { cause: e },
      ),
    };
  }
  if (slots <= 1) return { retry: false, error: e };
  const next = Math.max(1, Math.floor(slots / 2));
  return {
    retry: true,
    slots: next,
    warning: `out of memory on ${context.device}: batch size halved to ${next} (${first})`,
  };
}
