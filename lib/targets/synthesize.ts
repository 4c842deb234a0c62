// synthesizeTargets(model | { vocabSize }, { kind, ...params, seed }): the library entry for
// making targets outside a sweep. A request is read as the spec entry it stands for and planned
// by the registry, so it gets the same target ids (and so the same seeds) as a sweep would; the
// targets are then made in one batch and left on the model's device.
import type { Model } from '../model/model.js';
import { native } from '../native/index.js';
import type { NativeTensor } from '../native/types-model.js';
import type { ResolvedTarget } from '../spec/parse.js';
import { TARGET_DEFAULTS } from '../spec/defaults.js';
import type { PosTag } from '../spec/schema.js';
import { SpecError } from '../spec/errors.js';
import { refuseUnknownKeys } from '../spec/fields.js';
import { targetFileCount } from './file.js';
import type { TargetRowMeta } from './make.js';
import { TargetError } from './maths.js';
import { synthesizePlans } from './plans.js';
import { kindDef, planEntry, type TargetPlan } from './registry.js';

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
  | { kind: 'lm'; count: number; promptLength?: number; pairedVanilla?: boolean; seed?: number }
  | { kind: 'shuffled'; count: number; shuffles?: number; promptLength?: number; seed?: number }
  | { kind: 'migrated'; source: string; count: number; promptLength?: number; seed?: number }
  | {
      kind: 'pos-uniform';
      tag: PosTag;
      count?: number;
      n?: number;
      seed?: number;
    }
  | { kind: 'file'; path: string; seed?: number };

/**
 * The spec entry a request stands for. The library's defaults are the spec's, except one
 * pos-uniform tag and target per request (not ten per tag), one sample per entropy and no paired
 * vanilla targets for lm unless asked. The eps of vanilla and outlier targets is the spec's too:
 * a target's id does not name it, so a request must make the very targets the sweep that wrote
 * that id made.
 */
export function requestEntry(r: SynthesisRequest): ResolvedTarget {
  switch (r.kind) {
    case 'vanilla':
      return {
        kind: 'vanilla',
        entropyBits: r.entropyBits,
        method: r.method ?? 'gradient',
        eps: r.eps ?? TARGET_DEFAULTS.epsBits,
        samples: 1,
      };
    case 'outlier':
      return {
        kind: 'outlier',
        entropyBits: r.entropyBits,
        outliers: r.outliers ?? 1,
        eps: r.eps ?? TARGET_DEFAULTS.epsBits,
        samples: 1,
      };
    case 'lm':
      return { kind: 'lm', count: r.count, promptLength: r.promptLength ?? 5, pairedVanilla: r.pairedVanilla ?? false };
    case 'shuffled':
      return { kind: 'shuffled', count: r.count, promptLength: r.promptLength ?? 5, shuffles: r.shuffles ?? 5 };
    case 'migrated':
      return { kind: 'migrated', source: r.source, count: r.count, promptLength: r.promptLength ?? 5 };
    case 'pos-uniform':
      return { kind: 'pos-uniform', tags: [r.tag], count: r.count ?? 1, n: r.n ?? 100 };
    case 'file':
      return { kind: 'file', path: r.path };
    default:
      throw new TargetError(
        `unknown target kind '${(r as { kind: string }).kind}' (${Object.keys(REQUEST_FIELDS).join(', ')})`,
      );
  }
}

/** Each kind's request fields, as the compiler checks them against SynthesisRequest (no more, no fewer). */
const REQUEST_FIELDS: { [K in SynthesisRequest['kind']]: Record<keyof Extract<SynthesisRequest, { kind: K }>, true> } =
  {
    vanilla: { kind: true, entropyBits: true, method: true, eps: true, seed: true },
    outlier: { kind: true, entropyBits: true, outliers: true, eps: true, seed: true },
    lm: { kind: true, count: true, promptLength: true, pairedVanilla: true, seed: true },
    shuffled: { kind: true, count: true, shuffles: true, promptLength: true, seed: true },
    migrated: { kind: true, source: true, count: true, promptLength: true, seed: true },
    'pos-uniform': { kind: true, tag: true, count: true, n: true, seed: true },
    file: { kind: true, path: true, seed: true },
  };

/** A request's target plans, exactly as a sweep with the same entry and seed plans them. */
export function planRequest(r: SynthesisRequest): TargetPlan[] {
  const entry = requestEntry(r);
  // A misspelt field would otherwise be dropped and its default used.
  refuseUnknownKeys(`${r.kind} targets`, r, REQUEST_FIELDS[r.kind], (m) => new TargetError(m), 'field');
  const { shape } = kindDef(entry.kind).schema;
  // Every field but the entropy grid through the spec's own check (kinds.ts checks entropies
  // against the vocabulary, which the spec schema cannot know).
  for (const [field, value] of Object.entries(entry)) {
    if (field === 'kind' || field === 'entropyBits' || value === undefined) continue;
    const checked = shape[field].safeParse(value);
    if (!checked.success) throw new TargetError(`${r.kind} targets: ${field}: ${checked.error.issues[0].message}`);
  }
  try {
    return planEntry(entry, { seed: r.seed ?? 0, where: 'request', fileTargetCount: targetFileCount });
  } catch (e) {
    if (e instanceof SpecError) throw new TargetError(e.issues.map((i) => i.message).join('; '));
    throw e;
  }
}

export async function synthesizeTargets(
  model: Model | { vocabSize: number; device?: string },
  request: SynthesisRequest,
): Promise<TargetSet> {
  const isModel = 'info' in model;
  // Planned first: an unknown kind or field is named as such, not as a kind that needs a model.
  const plans = planRequest(request);
  if (!isModel && !['vanilla', 'outlier', 'file'].includes(request.kind))
    throw new TargetError(`${request.kind} targets need a model, not just a vocabulary size`);
  const vocab = isModel ? model.info.vocabSize : model.vocabSize;
  if (!Number.isInteger(vocab) || vocab < 2)
    throw new TargetError(`vocabSize must be an integer of at least 2, got ${vocab}`);
  const device = isModel ? model.info.device : (model.device ?? 'cpu');
  const host = isModel ? model : ({ info: { vocabSize: vocab, device } } as unknown as Model);
  const made = await synthesizePlans(host, plans);
  // Uploaded on the addon's pool: tens of MB of fresh pages would hold the caller's loop.
  const targets = await native().uploadTensor({ data: made.data, shape: [plans.length, vocab], device });
  return {
    targets,
    meta: made.meta.map((m, i) => ({ ...m, seed: plans[i].seed })),
    toArray: () => targets.toArray() as Float32Array,
    dispose: () => targets.dispose(),
  };
}
