// The makers of lib/targets/registry.ts: one per kind, each turning that kind's plans into
// distributions over the model's vocabulary. Same-kind plans are made in one batch (vanilla and
// outlier natively); a target depends only on its own plan (seed and parameters), never on the
// batch it was made in.
import { loadModel } from '../model/load.js';
import type { Model } from '../model/model.js';
import type { RunRecord } from '../results/index.js';
import { vocabularyTextsInSlices, type Tokenizer } from '../tokenizer/index.js';
import { lm, outlier, vanilla, type Made } from './kinds.js';
import { TargetError } from './maths.js';
import { inTargetWorker, yieldToLoop } from './offload.js';
import type { PosTag } from './pos.js';
import type { TargetPlan } from './registry.js';

/** The target metadata columns of a result row (lib/results RunRecord), one place for both. */
type TargetColumns =
  'outliers' | 'outlierMass' | 'm' | 'sourceModel' | 'shuffleIndex' | 'posTag' | 'lmPromptIds' | 'pairedWith';

/** What a result row records about its target. */
export type TargetRowMeta = Pick<RunRecord, TargetColumns> & {
  id: string;
  kind: string;
  entropyBits: number;
  requestedEntropyBits: number | null;
  params: Record<string, unknown>;
};

export interface SynthesisedTargets {
  /** count × vocab, row i is plans[i] */
  data: Float32Array;
  meta: TargetRowMeta[];
}

/** A plan and its row in the output. */
export interface Item {
  plan: TargetPlan;
  i: number;
}

export interface MakeContext {
  model: Model;
  vocab: number;
  /** Stores row i's distribution and what its result rows record about it. */
  put(i: number, probs: Float32Array, meta: Omit<TargetRowMeta, 'id' | 'kind'>): void;
  /** A target made earlier in this batch (a paired vanilla target reads its lm target's). */
  made(targetId: string): TargetRowMeta | undefined;
}

export type Maker = (ctx: MakeContext, items: Item[]) => Promise<void>;

type Params = Record<string, unknown>;

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

async function place(
  ctx: MakeContext,
  items: Item[],
  made: Made,
  requested: (p: Params) => number | null,
  extra: (p: Params, e: Params) => Partial<TargetRowMeta> = () => ({}),
) {
  const V = ctx.vocab;
  for (let j = 0; j < items.length; j++) {
    const { plan, i } = items[j];
    const e = made.extra[j];
    ctx.put(i, made.probs.subarray(j * V, (j + 1) * V), {
      entropyBits: made.entropyBits[j],
      requestedEntropyBits: requested(plan.params),
      params: { ...plan.params, ...e, seed: plan.seed },
      ...extra(plan.params, e),
    });
    // Copying thousands of rows of a large vocabulary is tens of milliseconds: in slices of
    // ~4 MB (first touches of fresh pages cost as much as the copy).
    if (j % Math.max(1, Math.floor(2 ** 20 / V)) === 0) await yieldToLoop();
  }
}

const seeds = (items: Item[]) => items.map((x) => x.plan.seed);
const epsOf = (p: Params) => (p.eps === undefined ? undefined : Number(p.eps));

export const makeLm: Maker = async (ctx, items) => {
  for (const [len, group] of groupBy(items, (x) => String(x.plan.params.promptLength))) {
    const made = await lm(ctx.model, seeds(group), Number(len));
    await place(
      ctx,
      group,
      made,
      () => null,
      (_, e) => ({ lmPromptIds: e.lmPromptIds as number[] }),
    );
  }
};

export const makeVanilla: Maker = async (ctx, items) => {
  const resolved = items.map(({ plan, i }) => {
    const paired = plan.params.pairedWith;
    if (typeof paired !== 'string') return { plan, i };
    const lmMeta = ctx.made(paired);
    if (!lmMeta) throw new TargetError(`paired target ${plan.targetId} needs ${paired}, which was not made first`);
    return { plan: { ...plan, params: { ...plan.params, entropyBits: lmMeta.entropyBits, method: 'temperature' } }, i };
  });
  for (const group of groupBy(
    resolved,
    (x) => `${x.plan.params.method ?? 'gradient'} ${x.plan.params.eps ?? ''}`,
  ).values()) {
    const p0 = group[0].plan.params;
    const made = await vanilla(
      ctx.vocab,
      seeds(group),
      group.map((x) => Number(x.plan.params.entropyBits)),
      {
        method: (p0.method ?? 'gradient') as 'gradient' | 'temperature',
        epsBits: epsOf(p0),
        device: ctx.model.info.device,
      },
    );
    await place(
      ctx,
      group,
      made,
      (p) => (typeof p.pairedWith === 'string' ? null : Number(p.entropyBits)),
      (p) => ({ pairedWith: (p.pairedWith as string) ?? null }),
    );
  }
};

export const makeOutlier: Maker = async (ctx, items) => {
  for (const group of groupBy(items, (x) => `${x.plan.params.outliers} ${x.plan.params.eps ?? ''}`).values()) {
    const p0 = group[0].plan.params;
    const made = await outlier(
      ctx.vocab,
      seeds(group),
      group.map((x) => Number(x.plan.params.entropyBits)),
      Number(p0.outliers),
      {
        epsBits: epsOf(p0),
        device: ctx.model.info.device,
      },
    );
    await place(
      ctx,
      group,
      made,
      (p) => Number(p.entropyBits),
      (_, e) => ({ outliers: e.outliers as number, m: e.m as number, outlierMass: e.outlierMass as number }),
    );
  }
};

export const makeShuffled: Maker = async (ctx, items) => {
  const V = ctx.vocab;
  for (const [len, group] of groupBy(items, (x) => String(x.plan.params.promptLength))) {
    const base = await lm(
      ctx.model,
      group.map((x) => Number(x.plan.params.lmSeed)),
      Number(len),
    );
    const shuffled = await inTargetWorker('shuffleRows', { probs: base.probs, seeds: seeds(group), vocab: V }, [
      base.probs.buffer,
    ]);
    group.forEach(({ plan, i }, j) => {
      ctx.put(i, shuffled.probs.subarray(j * V, (j + 1) * V), {
        entropyBits: shuffled.entropyBits[j],
        requestedEntropyBits: null,
        shuffleIndex: Number(plan.params.shuffleIndex),
        lmPromptIds: base.extra[j].lmPromptIds as number[],
        params: { ...plan.params, seed: plan.seed },
      });
    });
  }
};

export const makeMigrated: Maker = async (ctx, items) => {
  const { model } = ctx;
  for (const [source, bySource] of groupBy(items, (x) => String(x.plan.params.sourceModel))) {
    if (!model.tokenizer)
      throw new TargetError(`migrated targets need this model's tokenizer; ${model.info.name} has none`);
    const src = await loadModel(source, { device: model.info.device });
    try {
      if (!src.tokenizer)
        throw new TargetError(`migrated targets need the source model's tokenizer; ${source} has none`);
      const srcTexts = await vocabularyTextsInSlices(src.tokenizer as Tokenizer);
      const dstTexts = await vocabularyTextsInSlices(model.tokenizer as Tokenizer);
      for (const [len, group] of groupBy(bySource, (x) => String(x.plan.params.promptLength))) {
        const base = await lm(src, seeds(group), Number(len));
        const moved = await inTargetWorker(
          'migrateRows',
          { probs: base.probs, rows: group.length, srcTexts: [...srcTexts], dstTexts: [...dstTexts] },
          [base.probs.buffer],
        );
        group.forEach(({ plan, i }, j) => {
          ctx.put(i, moved.probs.subarray(j * ctx.vocab, (j + 1) * ctx.vocab), {
            entropyBits: moved.entropyBits[j],
            requestedEntropyBits: null,
            sourceModel: source,
            lmPromptIds: base.extra[j].lmPromptIds as number[],
            params: {
              ...plan.params,
              seed: plan.seed,
              massKept: moved.massKept[j],
              sharedTokens: moved.sharedTokens[j],
              sourceEntropyBits: base.entropyBits[j],
            },
          });
        });
      }
    } finally {
      src.dispose();
    }
  }
};

export const makePosUniform: Maker = async (ctx, items) => {
  const { model } = ctx;
  if (!model.tokenizer)
    throw new TargetError(`pos-uniform targets need the model's tokenizer; ${model.info.name} has none`);
  const targets = items.map(({ plan }) => ({
    tag: plan.params.posTag as PosTag,
    n: Number(plan.params.n),
    seed: plan.seed,
  }));
  const texts = [...(await vocabularyTextsInSlices(model.tokenizer as Tokenizer))];
  const r = await inTargetWorker('posRows', { texts, vocab: ctx.vocab, targets });
  items.forEach(({ plan, i }, j) => {
    ctx.put(i, r.probs.subarray(j * ctx.vocab, (j + 1) * ctx.vocab), {
      entropyBits: r.entropyBits[j],
      requestedEntropyBits: null,
      posTag: targets[j].tag,
      params: { ...plan.params, seed: plan.seed, tokens: r.chosen[j], tagCounts: r.tagCounts },
    });
  });
};

export const makeFile: Maker = async (ctx, items) => {
  const V = ctx.vocab;
  for (const [path, group] of groupBy(items, (x) => String(x.plan.params.path))) {
    const r = await inTargetWorker('fileRows', {
      path,
      vocab: V,
      indices: group.map((x) => Number(x.plan.params.index)),
    });
    group.forEach(({ plan, i }, j) => {
      ctx.put(i, r.probs.subarray(j * V, (j + 1) * V), {
        entropyBits: r.entropyBits[j],
        requestedEntropyBits: null,
        params: { ...plan.params, sourceId: r.ids[j] },
      });
    });
  }
};
