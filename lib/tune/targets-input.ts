// The targets tune() accepts: a Float32Array rows×vocab, a device-resident NativeTensor, or a
// synthesised target set ({ targets, meta }). Each is checked here, a tensor on its own device.
import type { NativeTensor } from '../native/types-model.js';
import { described, shown } from '../spec/fields.js';
import { checkTargetArray, checkTargetTensor } from '../model/target-rows.js';
import { TargetError } from '../model/target-error.js';

export interface TargetSetLike {
  targets: NativeTensor;
  meta: { id: string; entropyBits: number }[];
}

export type TuneTargets = Float32Array | NativeTensor | TargetSetLike;

export interface ResolvedTargets {
  data: Float32Array | NativeTensor;
  count: number;
  ids: readonly string[];
  entropyBits: number[];
}

function isTargetSet(t: unknown): t is TargetSetLike {
  return typeof t === 'object' && t !== null && 'targets' in t && 'meta' in t;
}

function isTensor(t: unknown): t is NativeTensor {
  return typeof t === 'object' && t !== null && typeof (t as NativeTensor).shape === 'function';
}

/** Ids given for the targets: one string per target, or none (then the defaults). */
function checkIds(ids: unknown, count: number): void {
  if (ids === undefined) return;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string'))
    throw new TargetError(`targetIds must be an array of strings, one per target, got ${shown(ids)}`);
  if (ids.length !== count) throw new TargetError(`targetIds has ${ids.length} ids for ${count} targets`);
}

export function resolveTargets(t: TuneTargets, vocab: number, ids?: readonly string[]): ResolvedTargets {
  const resolved = targetsOf(t, vocab, ids);
  checkIds(ids, resolved.count);
  return resolved;
}

function targetsOf(t: TuneTargets, vocab: number, ids?: readonly string[]): ResolvedTargets {
  if (!(t instanceof Float32Array) && !isTargetSet(t) && !isTensor(t)) {
    throw new TargetError(
      `targets must be a Float32Array (rows×vocab), a NativeTensor or a target set from synthesizeTargets, ` +
        `got ${described(t)}${ArrayBuffer.isView(t) || Array.isArray(t) ? ': convert it with Float32Array.from' : ''}`,
    );
  }
  if (t instanceof Float32Array) {
    const entropyBits = Array.from(checkTargetArray(t, vocab));
    const count = entropyBits.length;
    return { data: t, count, ids: ids ?? Array.from({ length: count }, (_, i) => `target:${i}`), entropyBits };
  }
  if (isTargetSet(t)) {
    const shape = t.targets.shape();
    checkTargetTensor(t.targets, vocab);
    if (t.meta.length !== shape[0])
      throw new TargetError(`targets hold ${shape[0]} rows but meta describes ${t.meta.length}`);
    return {
      data: t.targets,
      count: shape[0],
      ids: ids ?? t.meta.map((m) => m.id),
      entropyBits: t.meta.map((m) => m.entropyBits),
    };
  }
  const entropyBits = Array.from(checkTargetTensor(t, vocab));
  return {
    data: t,
    count: entropyBits.length,
    ids: ids ?? Array.from({ length: entropyBits.length }, (_, i) => `target:${i}`),
    entropyBits,
  };
}
