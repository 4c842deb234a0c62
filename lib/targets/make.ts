// The makers: one per kind of lib/targets/registry.ts, each turning that kind's plans into
// distributions over the model's vocabulary. Same-kind plans are made in batches (vanilla and
// outlier natively); a target depends only on its own plan (seed and parameters), never on the
// batch it was made in.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Model } from '../model/model.js';
import type { RunRecord } from '../results/record.js';
import type { TargetKind } from '../spec/schema.js';
import { vocabularyTextsInSlices, type Tokenizer } from '../tokenizer/index.js';
import { lm, outlier, vanilla, type Made } from './kinds.js';
import { TargetError } from '../model/target-error.js';
import { inTargetWorker } from './offload.js';
import { loadSourceModel } from './source-model.js';
import type { PlanOf } from './registry.js';

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

/** A plan of kind K and its row in the output. */
export interface Item<K extends TargetKind = TargetKind> {
  plan: PlanOf<K>;
  i: number;
}

export interface MakeContext {
  model: Model;
  vocab: number;
  /** Stores row i's distribution and what its result rows record about it. */
  put(i: number, probs: Float32Array, meta: Omit<TargetRowMeta, 'id' | 'kind'>): void;
  /** A target made earlier in this batch (a paired vanilla target reads its lm target's). */
  made(targetId: string): TargetRowMeta | undefined;
  /** Stops the making (with its reason) between two native batches. */
  signal?: AbortSignal | undefined;
}

export type Maker<K extends TargetKind> = (ctx: MakeContext, items: Item<K>[]) => Promise<void>;

/** What a kind's maker records beyond the plan (kinds.ts `Made.extra`). */
type Extra = Record<string, unknown>;

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

async function place<P extends object>(
  ctx: MakeContext,
  items: { plan: { seed: number; params: P }; i: number }[],
  made: Made,
  requested: (p: P) => number | null,
  extra: (p: P, e: Extra) => Partial<TargetRowMeta> = () => ({}),
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
    if (j % Math.max(1, Math.floor(2 ** 20 / V)) === 0) await nextTurn();
  }
}

const seeds = (items: { plan: { seed: number } }[]) => items.map((x) => x.plan.seed);

/**
 * `items` in native batches of ~2 MB of targets (at least 64, for a device's sake), the signal
 * checked before each: one batch of 10,000 vanilla targets over 1,000 tokens took seconds, which a
 * Ctrl-C waited out.
 */
function* batches<T>(items: readonly T[], ctx: MakeContext): Generator<T[]> {
  const size = Math.max(64, Math.floor(2 ** 19 / ctx.vocab));
  for (let i = 0; i < items.length; i += size) {
    ctx.signal?.throwIfAborted();
    yield items.slice(i, i + size);
  }
}

const makeLm: Maker<'lm'> = async (ctx, items) => {
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

/** A plan a native maker reads (its seed, its id for errors, parameters `P`) and its row in the output. */
interface NativeItem<P> {
  plan: { seed: number; targetId: string; params: P };
  i: number;
}

/** A vanilla plan whose entropy is known: a grid point, or a pair given its lm target's. */
type VanillaResolved = NativeItem<{
  entropyBits: number;
  method: 'gradient' | 'temperature';
  eps?: number;
  pairedWith?: string;
}>;

/**
 * Natively made plans (vanilla, outlier): grouped by what one native call shares (`key`), each
 * group made in `batches` by `solve` and placed.
 */
async function makeNatively<P extends object>(
  ctx: MakeContext,
  items: NativeItem<P>[],
  key: (p: P) => string,
  solve: (group: NativeItem<P>[], p0: P) => Promise<Made>,
  requested: (p: P) => number | null,
  extra: (p: P, e: Extra) => Partial<TargetRowMeta>,
) {
  for (const sameCall of groupBy(items, (x) => key(x.plan.params)).values())
    for (const group of batches(sameCall, ctx)) {
      const made = await solve(group, group[0].plan.params);
      await place(ctx, group, made, requested, extra);
    }
}

const makeVanilla: Maker<'vanilla'> = async (ctx, items) => {
  const resolved = items.map(({ plan, i }): VanillaResolved => {
    if (plan.params.pairedWith === undefined)
      return { plan: { seed: plan.seed, targetId: plan.targetId, params: plan.params }, i };
    const paired = plan.params.pairedWith;
    const lmMeta = ctx.made(paired);
    if (!lmMeta) throw new TargetError(`paired target ${plan.targetId} needs ${paired}, which was not made first`);
    return {
      plan: {
        seed: plan.seed,
        targetId: plan.targetId,
        params: { ...plan.params, entropyBits: lmMeta.entropyBits, method: 'temperature' as const },
      },
      i,
    };
  });
  await makeNatively(
    ctx,
    resolved,
    (p) => `${p.method ?? 'gradient'} ${p.eps ?? ''}`,
    (group, p0) =>
      vanilla(
        ctx.vocab,
        seeds(group),
        group.map((x) => x.plan.params.entropyBits),
        { method: p0.method, epsBits: p0.eps, device: ctx.model.info.device, ids: group.map((x) => x.plan.targetId) },
      ),
    (p) => (p.pairedWith === undefined ? p.entropyBits : null),
    (p) => ({ pairedWith: p.pairedWith ?? null }),
  );
};

const makeOutlier: Maker<'outlier'> = (ctx, items) =>
  makeNatively(
    ctx,
    items,
    (p) => `${p.outliers} ${p.eps ?? ''}`,
    (group, p0) =>
      outlier(
        ctx.vocab,
        seeds(group),
        group.map((x) => x.plan.params.entropyBits),
        p0.outliers,
        { epsBits: p0.eps, device: ctx.model.info.device, ids: group.map((x) => x.plan.targetId) },
      ),
    (p) => p.entropyBits,
    (_, e) => ({ outliers: e.outliers as number, m: e.m as number, outlierMass: e.outlierMass as number }),
  );

const makeShuffled: Maker<'shuffled'> = async (ctx, items) => {
  const V = ctx.vocab;
  for (const [len, group] of groupBy(items, (x) => String(x.plan.params.promptLength))) {
    const base = await lm(
      ctx.model,
      group.map((x) => x.plan.params.lmSeed),
      Number(len),
    );
    const shuffled = await inTargetWorker('shuffleRows', { probs: base.probs, seeds: seeds(group), vocab: V }, [
      base.probs.buffer,
    ]);
    group.forEach(({ plan, i }, j) => {
      ctx.put(i, shuffled.probs.subarray(j * V, (j + 1) * V), {
        entropyBits: shuffled.entropyBits[j],
        requestedEntropyBits: null,
        shuffleIndex: plan.params.shuffleIndex,
        lmPromptIds: base.extra[j].lmPromptIds as number[],
        params: { ...plan.params, seed: plan.seed },
      });
    });
  }
};

const makeMigrated: Maker<'migrated'> = async (ctx, items) => {
  const { model } = ctx;
  for (const [source, bySource] of groupBy(items, (x) => x.plan.params.sourceModel)) {
    if (!model.tokenizer)
      throw new TargetError(`migrated targets need this model's tokenizer; ${model.info.name} has none`);
    const src = await loadSourceModel(source, model.info.device);
    try {
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

const makePosUniform: Maker<'pos-uniform'> = async (ctx, items) => {
  const { model } = ctx;
  if (!model.tokenizer)
    throw new TargetError(`pos-uniform targets need the model's tokenizer; ${model.info.name} has none`);
  const targets = items.map(({ plan }) => ({
    tag: plan.params.posTag,
    n: plan.params.n,
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

const makeFile: Maker<'file'> = async (ctx, items) => {
  const V = ctx.vocab;
  for (const [path, group] of groupBy(items, (x) => x.plan.params.path)) {
    const r = await inTargetWorker('fileRows', {
      path,
      vocab: V,
      indices: group.map((x) => x.plan.params.index),
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

/**
 * The makers in making order: lm before vanilla, because a paired vanilla target takes the
 * entropy its lm target reached. The mapped type makes the table exhaustive: a kind of the spec
 * schema without a maker does not compile.
 */
export const MAKERS: { [K in TargetKind]: Maker<K> } = {
  lm: makeLm,
  vanilla: makeVanilla,
  outlier: makeOutlier,
  shuffled: makeShuffled,
  migrated: makeMigrated,
  'pos-uniform': makePosUniform,
  file: makeFile,
};
