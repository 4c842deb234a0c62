// The seconds a method's rows take under tune()'s continuous batching, from a calibrated epoch
// time and each row's epochs: slots are filled in plan order, every native call runs `chunk`
// epochs over the rows still active, and stopped rows are replaced at call boundaries. So a
// sweep's tail (fewer rows than slots) is priced at what a small batch costs, not at the full
// batch's rate, which is what makes a small sweep's estimate honest.

/** Seconds of one epoch at `active` rows: `fixed` per epoch (launches, the host) + `perRow` each. */
export interface EpochCost {
  fixedSeconds: number;
  perRowSeconds: number;
}

export const epochSeconds = (c: EpochCost, active: number): number => c.fixedSeconds + c.perRowSeconds * active;

/**
 * Seconds to run rows whose epochs are `epochs[i]` (in plan order) on `slots` slots with
 * `chunk` epochs per call. A row stopped mid-call costs nothing for the rest of it (the tuner
 * steps active rows only) but its slot is refilled only at the next call.
 */
export function batchedSeconds(epochs: readonly number[], slots: number, chunk: number, cost: EpochCost): number {
  if (!(slots >= 1) || !(chunk >= 1))
    throw new RangeError(`slots and chunk must be at least 1 (got ${slots}, ${chunk})`);
  const left: number[] = []; // epochs left of each occupied slot
  let next = 0;
  let seconds = 0;
  for (;;) {
    while (left.length < slots && next < epochs.length) left.push(Math.max(1, epochs[next++]));
    if (left.length === 0) return seconds;
    // Within a call the active count falls only as rows finish: cost each epoch at its count.
    left.sort((a, b) => a - b);
    // Calls in which no row finishes (none is refilled either) cost the same: priced at once, so
    // a budget of 10^12 epochs (--plan --max-epochs 1e12) is not walked 4 epochs at a time.
    const whole = Math.floor((left[0] - 1) / chunk);
    if (whole > 0) {
      seconds += whole * chunk * epochSeconds(cost, left.length);
      for (let i = 0; i < left.length; i++) left[i] -= whole * chunk;
    }
    let done = 0;
    for (let e = 1; e <= chunk; e++) {
      while (done < left.length && left[done] < e) done++;
      if (done === left.length) break;
      seconds += epochSeconds(cost, left.length - done);
    }
    for (let i = 0; i < left.length; i++) left[i] -= chunk;
    const alive = left.filter((x) => x > 0);
    left.length = 0;
    left.push(...alive);
  }
}

/**
 * Each of `rows` rows' epochs, drawn in turn from a sample's (rows of a sweep are ordered by
 * target, and the sample is spread over that order, so its cycle keeps the mix). An empty sample
 * (none stopped) means every row runs its budget.
 */
export function epochsFromSample(rows: number, sample: readonly number[], budget: number): number[] {
  if (sample.length === 0) return new Array<number>(rows).fill(budget);
  return Array.from({ length: rows }, (_, i) => Math.min(budget, sample[i % sample.length]));
}
