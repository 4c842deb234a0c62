// headBound(model, targets): for each target, the lowest KL(target || model) that any prompt
// of any kind, length or method can reach — the minimum over every output the model's final
// norm can produce (native/bound/head_bound.h has the maths) — and the softmax bottleneck's
// value without the norm. One record per target, in order.
import type { Model } from '../model/model.js';
import { withCallerStack } from '../model/errors.js';
import { native } from '../native/index.js';
import type { NativeBoundOptions, NativeBoundResult } from '../native/types-bound.js';
import { resolveTargets, type TuneTargets } from '../tune/targets-input.js';
import { parseBoundOptions, type BoundOptions, type BoundSettings } from './options.js';

export interface HeadBoundRecord {
  targetIndex: number;
  targetId: string;
  targetEntropyBits: number;
  /** min over the final norm's outputs s of KL(target || softmax(W s + b)), nats (within gapNats) */
  headBoundNats: number;
  /** the certificate: headBoundNats − gapNats ≤ the true minimum ≤ headBoundNats */
  gapNats: number;
  /** the solver reached tolNats (false: stopped at maxIterations; gapNats says how close) */
  converged: boolean;
  iterations: number;
  /** the norm's radius binds at the optimum (the output layer wants a larger hidden state) */
  onBoundary: boolean;
  /** min over all s of the same KL (the bottleneck alone), the value reached; null when skipped */
  bottleneckBoundNats: number | null;
  /**
   * the bottleneck search reached a stationary point (gradient norm below gradTol); false means
   * the infimum is lower still and needs an unbounded hidden state (typically a target with zeros)
   */
  bottleneckConverged: boolean | null;
  bottleneckGradNorm: number | null;
  /** the optimal final-norm output s (hidden values), with returnPoint */
  point?: Float32Array;
  /** softmax(W s + b) at that s: the closest distribution the output layer can produce */
  distribution?: Float32Array;
}

/** The native call's options from validated settings: every field explicit. */
export function nativeBoundOptions(o: BoundSettings, device: string): NativeBoundOptions {
  return {
    dtype: o.dtype,
    tolNats: o.tolNats,
    maxIterations: o.maxIterations,
    gradTol: o.gradTol,
    bottleneckIterations: o.bottleneck ? o.bottleneckIterations : 0,
    batch: o.batch === 'auto' ? (device.startsWith('cuda') ? 256 : 64) : o.batch,
    returnPoint: o.returnPoint,
  };
}

/** Records from the native result arrays (shared by the model and plain-head entry points). */
export function boundRecords(
  r: NativeBoundResult,
  ids: string[],
  entropyBits: number[],
  o: BoundSettings,
  hidden: number,
  vocab: number,
): HeadBoundRecord[] {
  return ids.map((targetId, i) => ({
    targetIndex: i,
    targetId,
    targetEntropyBits: entropyBits[i],
    headBoundNats: r.headBoundNats[i],
    gapNats: r.gapNats[i],
    converged: r.gapNats[i] <= o.tolNats,
    iterations: r.iterations[i],
    onBoundary: r.onBoundary[i] === 1,
    bottleneckBoundNats: r.bottleneckBoundNats ? r.bottleneckBoundNats[i] : null,
    bottleneckConverged: r.bottleneckConverged ? r.bottleneckConverged[i] === 1 : null,
    bottleneckGradNorm: r.bottleneckGradNorm ? r.bottleneckGradNorm[i] : null,
    ...(r.point ? { point: r.point.slice(i * hidden, (i + 1) * hidden) } : {}),
    ...(r.distribution ? { distribution: r.distribution.slice(i * vocab, (i + 1) * vocab) } : {}),
  }));
}

/**
 * The head bound (and bottleneck bound) of each target, batched on the model's device.
 * `targets` takes every form tune() takes: a rows×vocab Float32Array, a NativeTensor, or a
 * synthesised target set.
 */
export async function headBound(
  model: Model,
  targets: TuneTargets,
  options?: BoundOptions,
): Promise<HeadBoundRecord[]> {
  const o = parseBoundOptions(options);
  const V = model.info.vocabSize;
  const t = resolveTargets(targets, V, o.targetIds);
  if (o.targetIds && o.targetIds.length !== t.count) {
    throw new RangeError(`targetIds has ${o.targetIds.length} ids for ${t.count} targets`);
  }
  const data = t.data instanceof Float32Array ? t.data : (t.data.toArray() as Float32Array);
  const r = await withCallerStack('headBound', () =>
    native().headBound(model.native, { ...nativeBoundOptions(o, model.info.device), targets: data, rows: t.count }),
  );
  return boundRecords(r, t.ids, t.entropyBits, o, model.info.hiddenSize, V);
}
