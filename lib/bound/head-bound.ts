// headBound(model, targets): for each target, the lowest KL(target || model) that any prompt
// of any kind, length or method can reach — the certified minimum over the ball every output of
// the model's final norm lies in, and the minimum over the sphere where those outputs actually
// lie (native/bound/head_bound.h has the maths) — and the softmax bottleneck's value without
// the norm. One record per target, in order.
import { Model } from '../model/model.js';
import { withCallerStack } from '../native/errors.js';
import { shown } from '../spec/fields.js';
import { native } from '../native/index.js';
import {
  BOTTLENECK_STATUS,
  type BottleneckStatus,
  type NativeBoundOptions,
  type NativeBoundResult,
} from '../native/types-bound.js';
import { resolveTargets, type TuneTargets } from '../tune/targets-input.js';
import { cancellable } from '../native/cancel.js';
import { autoBoundBatch, boundGroupOf } from './groups.js';
import { BoundOptionsError, parseBoundOptions, type BoundOptions, type BoundSettings } from './options.js';

export interface HeadBoundRecord {
  targetIndex: number;
  targetId: string;
  targetEntropyBits: number;
  /**
   * the ball bound (certified): min over s = γ⊙c + β, ‖c‖ ≤ √d, of KL(target || softmax(W s + b)),
   * nats (within gapNats); it holds for every ε of the norm
   */
  headBoundNats: number;
  /** the certificate: headBoundNats − gapNats ≤ the true minimum ≤ headBoundNats */
  gapNats: number;
  /** the solver reached tolNats (false: stopped at maxIterations; gapNats says how close) */
  converged: boolean;
  iterations: number;
  /** the norm's radius binds at the optimum (the output layer wants a larger hidden state) */
  onBoundary: boolean;
  /**
   * the sphere value: min over ‖c‖ = √d, the set a norm outputs for any prompt a model reads with
   * σ² ≫ ε (headBoundNats ≤ it ≤ the KL such a prompt reaches); the same number where onBoundary;
   * null when skipped
   */
  sphereBoundNats: number | null;
  /** starts of the sphere search that reached it (0: the ball's optimum is on the sphere, no search) */
  sphereStarts: number | null;
  /** the gradient's norm along the sphere at that point (a stationarity residual) */
  sphereResidual: number | null;
  /**
   * inf over all s of the same KL (the bottleneck alone): its minimum, or its limit as ‖s‖ → ∞;
   * null when skipped or when the search met neither (bottleneckStatus 'unconverged')
   */
  bottleneckBoundNats: number | null;
  /** 'minimum' (a stationary point), 'limit' (approached as ‖s‖ → ∞), 'unconverged' (no bound) */
  bottleneckStatus: BottleneckStatus | null;
  /** a bound was found: bottleneckStatus is 'minimum' or 'limit' */
  bottleneckConverged: boolean | null;
  /** ‖∇f‖ at the bottleneck search's last point */
  bottleneckGradNorm: number | null;
  /** the optimal final-norm output s (hidden values), with returnPoint */
  point?: Float32Array;
  /** softmax(W s + b) at that s: the closest distribution the output layer can produce */
  distribution?: Float32Array;
}

/**
 * The native call's options from validated settings for `count` targets: every field explicit,
 * the groups given or else each target's by boundGroupOf.
 */
export function nativeBoundOptions(o: BoundSettings, device: string, count: number): NativeBoundOptions {
  if (o.groups && o.groups.length !== count)
    throw new BoundOptionsError(`groups has ${o.groups.length} values; expected one per target, ${count}`);
  const batch = o.batch === 'auto' ? autoBoundBatch(device) : o.batch;
  return {
    dtype: o.dtype,
    tolNats: o.tolNats,
    maxIterations: o.maxIterations,
    gradTol: o.gradTol,
    bottleneckIterations: o.bottleneck ? o.bottleneckIterations : 0,
    groups: Int32Array.from(o.groups ?? Array.from({ length: count }, (_, i) => boundGroupOf(i, batch))),
    returnPoint: o.returnPoint,
    sphere: o.sphere,
    sphereRandomStarts: o.sphereRandomStarts,
  };
}

/** Records from the native result arrays (shared by the model and plain-head entry points). */
export function boundRecords(
  r: NativeBoundResult,
  ids: readonly string[],
  entropyBits: number[],
  o: BoundSettings,
  hidden: number,
  vocab: number,
): HeadBoundRecord[] {
  const status = (i: number) => (r.bottleneckStatus ? BOTTLENECK_STATUS[r.bottleneckStatus[i]] : null);
  return ids.map((targetId, i) => ({
    targetIndex: i,
    targetId,
    targetEntropyBits: entropyBits[i],
    headBoundNats: r.headBoundNats[i],
    gapNats: r.gapNats[i],
    converged: r.gapNats[i] <= o.tolNats,
    iterations: r.iterations[i],
    onBoundary: r.onBoundary[i] === 1,
    sphereBoundNats: r.sphereBoundNats ? r.sphereBoundNats[i] : null,
    sphereStarts: r.sphereStarts ? r.sphereStarts[i] : null,
    sphereResidual: r.sphereResidual ? r.sphereResidual[i] : null,
    bottleneckBoundNats: r.bottleneckBoundNats && status(i) !== 'unconverged' ? r.bottleneckBoundNats[i] : null,
    bottleneckStatus: status(i),
    bottleneckConverged: status(i) === null ? null : status(i) !== 'unconverged',
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
  const { r, t, o } = await solve(model, targets, options);
  return boundRecords(r, t.ids, t.entropyBits, o, model.info.hiddenSize, model.info.vocabSize);
}

/**
 * headBound's native result, with each target's passes over the head beside its values: what the
 * plan prices the bound from (lib/run/estimate-bound.ts).
 */
export async function headBoundSolve(
  model: Model,
  targets: TuneTargets,
  options?: BoundOptions,
): Promise<NativeBoundResult> {
  return (await solve(model, targets, options)).r;
}

async function solve(model: Model, targets: TuneTargets, options: BoundOptions | undefined) {
  // Else "Cannot read properties of undefined (reading 'info')".
  if (!(model instanceof Model))
    throw new BoundOptionsError(
      `invalid headBound options:\n  (model): headBound(model, targets) needs a Model from loadModel, got ${shown(model)}`,
    );
  const o = parseBoundOptions(options);
  const t = resolveTargets(targets, model.info.vocabSize, o.targetIds);
  const solver = nativeBoundOptions(o, model.info.device, t.count);
  // A device tensor (a synthesised or uploaded target set) is solved where it is.
  const r = await cancellable(o.signal, 'headBound', (cancel) =>
    withCallerStack('headBound', () =>
      native().headBound(model.native, {
        ...solver,
        targets: t.data,
        ...(cancel ? { cancel } : {}),
      }),
    ),
  );
  return { r, t, o };
}
