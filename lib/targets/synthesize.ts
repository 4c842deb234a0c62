// synthesizeTargets(model | { vocabSize }, { kind, ...params, seed }): the library entry for
// making targets outside a sweep. It plans the same target ids (and so the same seeds) as a
// sweep would, then synthesises them in one batch and leaves them on the model's device.
import type { Model } from '../model/model.js';
import { native } from '../native/index.js';
import type { NativeTensor } from '../native/types-model.js';
import type { TargetRowMeta } from '../run/target-source.js';
import { formatBits, stableSeed, type TargetPlan } from '../sweep/index.js';
import { TargetError } from './maths.js';
import { synthesizePlans } from './plans.js';

export type TargetMeta = TargetRowMeta & { seed: number };

export interface TargetSet {
  targets: NativeTensor;
  meta: TargetMeta[];
  toArray(): Float32Array;
  dispose(): void;
}

export type SynthesisRequest =
  | { kind: 'vanilla'; entropyBits: number[]; method?: 'gradient' | 'temperature'; eps?: number; seed?: number }
  | { kind: 'outlier'; entropyBits: number[]; outliers?: number; eps?: number; seed?: number }
  | { kind: 'lm'; count: number; promptLength?: number; seed?: number }
  | { kind: 'shuffled'; count: number; shuffles?: number; promptLength?: number; seed?: number }
  | { kind: 'migrated'; source: string; count: number; promptLength?: number; seed?: number }
  | { kind: 'pos-uniform'; tag: 'noun' | 'proper-noun' | 'verb' | 'adjective'; count?: number; n?: number; seed?: number };

function plansFor(r: SynthesisRequest): TargetPlan[] {
  const seed = r.seed ?? 0;
  const plan = (targetId: string, kind: TargetPlan['kind'], params: Record<string, unknown>): TargetPlan => ({ targetId, kind, seed: stableSeed(seed, targetId), params });
  switch (r.kind) {
    case 'vanilla': {
      const m = r.method ?? 'gradient';
      return r.entropyBits.map((h) => plan(`vanilla:h=${formatBits(h)}:s=0${m === 'gradient' ? '' : `:m=${m}`}`, 'vanilla', { entropyBits: h, method: m, eps: r.eps }));
    }
    case 'outlier':
      return r.entropyBits.map((h) => plan(`outlier:k=${r.outliers ?? 1}:h=${formatBits(h)}:s=0`, 'outlier', { entropyBits: h, outliers: r.outliers ?? 1, eps: r.eps }));
    case 'lm':
      return Array.from({ length: r.count }, (_, i) => plan(`lm:n=${r.promptLength ?? 5}:i=${i}`, 'lm', { promptLength: r.promptLength ?? 5, index: i }));
    case 'shuffled':
      return Array.from({ length: r.count }, (_, i) =>
        Array.from({ length: r.shuffles ?? 5 }, (_, j) => {
          const lmId = `lm:n=${r.promptLength ?? 5}:i=${i}`;
          return plan(`shuffled:${lmId}:j=${j}`, 'shuffled', { lmTarget: lmId, lmSeed: stableSeed(seed, lmId), promptLength: r.promptLength ?? 5, index: i, shuffleIndex: j });
        }),
      ).flat();
    case 'migrated':
      return Array.from({ length: r.count }, (_, i) => plan(`migrated:src=${r.source}:n=${r.promptLength ?? 5}:i=${i}`, 'migrated', { sourceModel: r.source, promptLength: r.promptLength ?? 5, index: i }));
    case 'pos-uniform':
      return Array.from({ length: r.count ?? 1 }, (_, i) => plan(`pos-uniform:tag=${r.tag}:n=${r.n ?? 100}:i=${i}`, 'pos-uniform', { posTag: r.tag, n: r.n ?? 100, index: i }));
    default:
      throw new TargetError(`unknown target kind '${(r as { kind: string }).kind}' (vanilla, outlier, lm, shuffled, migrated, pos-uniform)`);
  }
}

export async function synthesizeTargets(model: Model | { vocabSize: number; device?: string }, request: SynthesisRequest): Promise<TargetSet> {
  const isModel = 'info' in model;
  if (!isModel && !['vanilla', 'outlier'].includes(request.kind)) throw new TargetError(`${request.kind} targets need a model, not just a vocabulary size`);
  const vocab = isModel ? model.info.vocabSize : model.vocabSize;
  if (!Number.isInteger(vocab) || vocab < 2) throw new TargetError(`vocabSize must be an integer of at least 2, got ${vocab}`);
  const device = isModel ? model.info.device : (model.device ?? 'cpu');
  const host = isModel ? model : ({ info: { vocabSize: vocab, device } } as unknown as Model);
  const plans = plansFor(request);
  const made = await synthesizePlans(host, plans);
  const targets = native().tensorFromArray({ data: made.data, shape: [plans.length, vocab], device });
  return {
    targets,
    meta: made.meta.map((m, i) => ({ ...m, seed: plans[i].seed })),
    toArray: () => targets.toArray() as Float32Array,
    dispose: () => targets.dispose(),
  };
}
