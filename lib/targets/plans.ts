// The sweep planner's target plans → distributions over the model's vocabulary, in plan order.
// Same-kind plans are made in one batch (vanilla and outlier natively); a target depends only
// on its own plan (seed and parameters), never on the batch it was made in.
import { loadModel } from '../model/load.js';
import type { Model } from '../model/model.js';
import type { SynthesisedTargets, TargetRowMeta } from '../run/target-source.js';
import type { TargetPlan } from '../sweep/index.js';
import { vocabularyTexts, type Tokenizer } from '../tokenizer/index.js';
import { lm, migrate, outlier, shuffle, vanilla, type Made } from './kinds.js';
import { entropyBits, TargetError } from './maths.js';
import { readTargetFile } from './file.js';
import { posUniform, tagVocabulary, type PosTag } from './pos.js';
import { validateTargets } from './validate.js';

type Params = Record<string, unknown>;

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) m.set(key(it), [...(m.get(key(it)) ?? []), it]);
  return m;
}

export async function synthesizePlans(model: Model, plans: readonly TargetPlan[]): Promise<SynthesisedTargets> {
  const V = model.info.vocabSize;
  const data = new Float32Array(plans.length * V);
  const meta: TargetRowMeta[] = new Array(plans.length);
  const at = new Map(plans.map((p, i) => [p.targetId, i]));
  const put = (i: number, probs: Float32Array, m: Omit<TargetRowMeta, 'id' | 'kind'>) => {
    data.set(probs, i * V);
    meta[i] = { id: plans[i].targetId, kind: plans[i].kind, ...m };
  };
  const place = (items: { plan: TargetPlan; i: number }[], made: Made, requested: (p: Params) => number | null, extraMeta: (p: Params, e: Record<string, unknown>) => Partial<TargetRowMeta> = () => ({})) => {
    items.forEach(({ plan, i }, j) => {
      const e = made.extra[j];
      put(i, made.probs.subarray(j * V, (j + 1) * V), {
        entropyBits: made.entropyBits[j],
        requestedEntropyBits: requested(plan.params),
        params: { ...plan.params, ...e, seed: plan.seed },
        ...extraMeta(plan.params, e),
      });
    });
  };
  const indexed = plans.map((plan, i) => ({ plan, i }));

  // lm first: paired vanilla targets take their entropy.
  const lms = indexed.filter((x) => x.plan.kind === 'lm');
  for (const [len, items] of groupBy(lms, (x) => String(x.plan.params.promptLength))) {
    const made = await lm(model, items.map((x) => x.plan.seed), Number(len));
    place(items, made, () => null, (_, e) => ({ lmPromptIds: e.lmPromptIds as number[] }));
  }

  const vanillas = indexed.filter((x) => x.plan.kind === 'vanilla');
  for (const x of vanillas) {
    const paired = x.plan.params.pairedWith as string | undefined;
    if (paired !== undefined) {
      const j = at.get(paired);
      if (j === undefined || !meta[j]) throw new TargetError(`paired target ${x.plan.targetId} needs ${paired}, which was not made first`);
      x.plan = { ...x.plan, params: { ...x.plan.params, entropyBits: meta[j].entropyBits, method: 'temperature' } };
    }
  }
  for (const [key, items] of groupBy(vanillas, (x) => `${x.plan.params.method ?? 'gradient'}|${x.plan.params.eps ?? ''}`)) {
    const [method, eps] = key.split('|');
    const made = await vanilla(V, items.map((x) => x.plan.seed), items.map((x) => Number(x.plan.params.entropyBits)), {
      method: method as 'gradient' | 'temperature',
      epsBits: eps ? Number(eps) : undefined,
      device: model.info.device,
    });
    place(items, made, (p) => (typeof p.pairedWith === 'string' ? null : Number(p.entropyBits)), (p) => ({ pairedWith: (p.pairedWith as string) ?? null }));
  }

  const outliers = indexed.filter((x) => x.plan.kind === 'outlier');
  for (const [key, items] of groupBy(outliers, (x) => `${x.plan.params.outliers}|${x.plan.params.eps ?? ''}`)) {
    const [k, eps] = key.split('|');
    const made = await outlier(V, items.map((x) => x.plan.seed), items.map((x) => Number(x.plan.params.entropyBits)), Number(k), {
      epsBits: eps ? Number(eps) : undefined,
      device: model.info.device,
    });
    place(items, made, (p) => Number(p.entropyBits), (_, e) => ({ outliers: e.outliers as number, m: e.m as number, outlierMass: e.outlierMass as number }));
  }

  const shuffled = indexed.filter((x) => x.plan.kind === 'shuffled');
  for (const [len, items] of groupBy(shuffled, (x) => String(x.plan.params.promptLength))) {
    const base = await lm(model, items.map((x) => Number(x.plan.params.lmSeed)), Number(len));
    items.forEach(({ plan, i }, j) => {
      const p = shuffle(base.probs.subarray(j * V, (j + 1) * V), plan.seed);
      put(i, p, { entropyBits: entropyBits(p), requestedEntropyBits: null, shuffleIndex: Number(plan.params.shuffleIndex), lmPromptIds: base.extra[j].lmPromptIds as number[], params: { ...plan.params, seed: plan.seed } });
    });
  }

  const migrated = indexed.filter((x) => x.plan.kind === 'migrated');
  for (const [source, items] of groupBy(migrated, (x) => String(x.plan.params.sourceModel))) {
    if (!model.tokenizer) throw new TargetError(`migrated targets need this model's tokenizer; ${model.info.name} has none`);
    const src = await loadModel(source, { device: model.info.device });
    try {
      if (!src.tokenizer) throw new TargetError(`migrated targets need the source model's tokenizer; ${source} has none`);
      const srcTexts = vocabularyTexts(src.tokenizer as Tokenizer);
      const dstTexts = vocabularyTexts(model.tokenizer as Tokenizer);
      for (const [len, group] of groupBy(items, (x) => String(x.plan.params.promptLength))) {
        const base = await lm(src, group.map((x) => x.plan.seed), Number(len));
        group.forEach(({ plan, i }, j) => {
          const r = migrate(base.probs.subarray(j * src.info.vocabSize, (j + 1) * src.info.vocabSize), srcTexts, dstTexts);
          put(i, r.probs, {
            entropyBits: entropyBits(r.probs),
            requestedEntropyBits: null,
            sourceModel: source,
            lmPromptIds: base.extra[j].lmPromptIds as number[],
            params: { ...plan.params, seed: plan.seed, massKept: r.massKept, sharedTokens: r.sharedTokens, sourceEntropyBits: base.entropyBits[j] },
          });
        });
      }
    } finally {
      src.dispose();
    }
  }

  const pos = indexed.filter((x) => x.plan.kind === 'pos-uniform');
  if (pos.length) {
    if (!model.tokenizer) throw new TargetError(`pos-uniform targets need the model's tokenizer; ${model.info.name} has none`);
    const tagged = tagVocabulary(vocabularyTexts(model.tokenizer as Tokenizer));
    for (const { plan, i } of pos) {
      const tag = plan.params.posTag as PosTag;
      const r = posUniform(tagged[tag], V, Number(plan.params.n), plan.seed, tag);
      put(i, r.probs, { entropyBits: entropyBits(r.probs), requestedEntropyBits: null, posTag: tag, params: { ...plan.params, seed: plan.seed, tokens: r.chosen, tagCounts: tagged.counts } });
    }
  }

  for (const { plan, i } of indexed.filter((x) => x.plan.kind === 'file')) {
    const file = readTargetFile(String(plan.params.path), V);
    const r = Number(plan.params.index);
    const p = file.data.subarray(r * V, (r + 1) * V);
    put(i, p, { entropyBits: entropyBits(p), requestedEntropyBits: null, params: { ...plan.params, sourceId: file.ids[r] } });
  }

  const missing = indexed.filter((x) => !meta[x.i]);
  if (missing.length) {
    const kinds = [...new Set(missing.map((x) => x.plan.kind))];
    throw new TargetError(`target kind(s) ${kinds.join(', ')} cannot be synthesised in a sweep yet (supported: vanilla, outlier, lm, shuffled, migrated, pos-uniform)`);
  }
  validateTargets(data, plans.length, V, { names: plans.map((p) => p.targetId) });
  return { data, meta };
}
