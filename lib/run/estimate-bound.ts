// The plan's price of the head bound. The sweep solves whole groups (lib/bound/groups.ts) in one
// call, and on a small head a group's seconds hardly depend on its size: each pass of the solver
// reads the whole head, and a group's passes run until its slowest target is done (random:micro:
// 7 ms a target in a group of 8, 2.5 ms in one of 64). The sample's seconds scaled by the targets
// so priced a sweep's bound ~2× too high there. So the sample is cycled to the size of the sweep's
// largest group (a whole group, or all the targets of a smaller sweep), timed once, and every group
// the sweep solves is priced at that. A first call pays what later ones do not: one target is
// solved first and counted once.
import { headBound } from '../bound/index.js';
import type { Model } from '../model/model.js';
import type { EpochCost } from './estimate-batching.js';

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/**
 * Seconds of the head bound of groups of `groupSizes` targets, from `sample` (rows×vocab: the
 * plan's sample targets, spread over the sweep's). `costs` (the epoch costs' map) keeps a group's
 * seconds as its fixedSeconds by model, device, dtype and group size: a study's sweeps share it.
 */
export async function boundPriceSeconds(
  model: Model,
  sample: Float32Array,
  groupSizes: readonly number[],
  costs?: Map<string, EpochCost>,
  signal?: AbortSignal,
): Promise<number> {
  const size = Math.max(0, ...groupSizes);
  if (size === 0) return 0;
  const key = `${model.info.identity}|${model.info.device}|${model.info.dtype}|head bound|${size}`;
  let group = costs?.get(key)?.fixedSeconds;
  let first = 0;
  if (group === undefined) {
    const V = model.info.vocabSize;
    const count = sample.length / V;
    const timed = async (data: Float32Array) => {
      const t0 = performance.now();
      await headBound(model, data, { groups: new Array<number>(data.length / V).fill(0), signal });
      return seconds(t0);
    };
    first = await timed(sample.subarray(0, V));
    const cycled = new Float32Array(size * V);
    for (let i = 0; i < size; i++) cycled.set(sample.subarray((i % count) * V, ((i % count) + 1) * V), i * V);
    group = await timed(cycled);
    costs?.set(key, { fixedSeconds: group, perRowSeconds: 0 });
  }
  return first + groupSizes.length * group;
}
