// An epoch's seconds from one long calibration call timed a chunk at a time.

/**
 * Seconds of one epoch from the times of a call's chunks of `epochsPerChunk` epochs each (the
 * times between its progress events): the first chunk (the call's setup, loading its rows) and the
 * last (harvesting them) are left out, and of the rest the lower median stands. A pause of the
 * machine (another process, the kernel) only ever lengthens a chunk: timed as one stretch, one
 * pause moved the price of an epoch from 1,604 to 4,153 row-epochs/s between two plans of one
 * sweep; a median over the chunks passes over it. Undefined without an inner chunk.
 */
export function chunkedEpochSeconds(chunkSeconds: readonly number[], epochsPerChunk: number): number | undefined {
  const inner = chunkSeconds.slice(1, -1).sort((a, b) => a - b);
  if (inner.length === 0) return undefined;
  return inner[Math.floor((inner.length - 1) / 2)] / epochsPerChunk;
}
