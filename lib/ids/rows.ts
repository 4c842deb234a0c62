// The names and seeds of a sweep's rows, in one place. Row ids are stored in every results file
// and journal (resume and merge match rows by them), so their format never changes; seeds come
// from a stable hash of names, never from a row's position, so a row starts from the same
// prompt alone, in any batch, on any shard and after a resume (docs/design.md, "Row seeds").
import { methodLabel, type MethodName } from '../spec/index.js';
import { stableSeed } from './hash.js';

export interface MethodOf {
  method: MethodName;
  /** H/S per prefix position */
  pattern: string;
  candidates: number;
}

/** `${targetId}|init=${initId}|${methodLabel}`, e.g. 'vanilla:h=1.25:s=0|init=3|hybrid:HHSSS:k=1'. */
export function rowId(targetId: string, initId: number, m: MethodOf): string {
  return `${targetId}|init=${initId}|${methodLabel(m.method, m.pattern, m.candidates)}`;
}

/** A target's synthesis seed: from (sweep seed, target id) only. */
export function targetSeed(sweepSeed: number, targetId: string): number {
  return stableSeed(sweepSeed, targetId);
}

/**
 * A row's initial-prompt seed: from (sweep seed, target id, init id) alone, so the same init of a
 * target starts from the same prompt under every method (methods are compared from equal starts).
 */
export function rowSeed(sweepSeed: number, targetId: string, initId: number): number {
  return stableSeed(sweepSeed, targetId, `init=${initId}`);
}
