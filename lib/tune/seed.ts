// A row's seed comes from (sweep seed, target id, init id) and nothing else (DESIGN.md
// decision 1), so a row starts from the same prompt alone, in any batch, on any shard. The
// same derivation as the sweep planner's (lib/sweep/planner.ts), so tune() alone and a sweep
// start a row from the same prompt.
import { stableSeed } from '../sweep/hash.js';

export function rowSeed(sweepSeed: number, targetId: string, initId: number): number {
  return stableSeed(sweepSeed, targetId, `init=${initId}`);
}
