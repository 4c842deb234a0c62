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
import { refuseUnknownKeys, shown } from '../spec/fields.js';
import { expandGrid, type GridInput } from '../spec/grid.js';
import { Grid } from '../spec/schema.js';
import { TuneOptionsSchema } from '../spec/tune-options.js';
import { targetFileCount } from './file.js';
import type { TargetRowMeta } from './make.js';
import { TargetError } from '../model/target-error.js';
import { synthesizePlans } from './plans.js';
import { kindDef, planEntry, type TargetPlan } from './registry.js';

/** A request's seed, under the rule and default of tune()'s and a spec's. */
const STUDY_SEED = TuneOptionsSchema.shape.seed;

export type TargetMeta = TargetRowMeta & { seed: number };

export interface TargetSet {
  targets: NativeTensor;
  meta: TargetMeta[];
  toArray(): Float32Array;
  dispose(): void;
}

export type SynthesisRequest =
  | {
      kind: 'vanilla';
      entropyBits: GridInput;
      method?: 'gradient' | 'temperature' | undefined;
      eps?: number | undefined;
      seed?: number | undefined;
    }
  | {
      kind: 'outlier';
      entropyBits: GridInput;
      outliers?: number | undefined;
      eps?: number | undefined;
      seed?: number | undefined;
    }
  | {
      kind: 'lm';
      count: number;
      promptLength?: number | undefined;
      pairedVanilla?: boolean | undefined;
      seed?: number | undefined;
    }
  | {
      kind: 'shuffled';
      count: number;
      shuffles?: number | undefined;
      promptLength?: number | undefined;
      seed?: number | undefined;
    }
  | { kind: 'migrated'; source: string; count: number; promptLength?: number | undefined; seed?: number | undefined }
  | {
      kind: 'pos-uniform';
      tag: PosTag;
      count?: number | undefined;
      n?: number | undefined;
      seed?: number | undefined;
    }
  | { kind: 'file'; path: string; seed?: number | undefined };

/** A request with its entropy grid expanded to the values in bits. */
type ExpandedRequest = SynthesisRequest extends infer R
  ? R extends { entropyBits: GridInput }
    ? Omit<R, 'entropyBits'> & { entropyBits: number[] }
    : R
  : never;

/**
 * The spec entry a request stands for. The library's defaults are the spec's, except one
 * pos-uniform tag and target per request (not ten per tag), one sample per entropy and no paired
 * vanilla targets for lm unless asked. The eps of vanilla and outlier targets is the spec's too:
 * a target's id does not name it, so a request must make the very targets the sweep that wrote
 * that id made.
 */
export function requestEntry(r: ExpandedRequest): ResolvedTarget {
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
      throw unknownKind((r as { kind: string }).kind);
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

/** The fields a request of each kind cannot do without (SynthesisRequest's non-optional ones), with a request that has them. */
const REQUIRED_FIELDS: {
  [K in SynthesisRequest['kind']]: {
    fields: ReadonlyArray<keyof Extract<SynthesisRequest, { kind: K }>>;
    example: string;
  };
} = {
  vanilla: { fields: ['entropyBits'], example: "{ kind: 'vanilla', entropyBits: [1, 2] }" },
  outlier: { fields: ['entropyBits'], example: "{ kind: 'outlier', entropyBits: [1, 2] }" },
  lm: { fields: ['count'], example: "{ kind: 'lm', count: 10 }" },
  shuffled: { fields: ['count'], example: "{ kind: 'shuffled', count: 10 }" },
  migrated: { fields: ['source', 'count'], example: "{ kind: 'migrated', source: 'gpt2', count: 10 }" },
  'pos-uniform': { fields: ['tag'], example: "{ kind: 'pos-uniform', tag: 'noun' }" },
  file: { fields: ['path'], example: "{ kind: 'file', path: 'targets.json' }" },
};

/**
 * Refuses a request without a field its kind needs. Left to the planner, a missing entropyBits
 * was a TypeError from deep inside, a missing count an empty target set with no word, and a
 * missing source 'the model is undefined'.
 */
function refuseMissingFields(r: SynthesisRequest): void {
  if (!Object.hasOwn(REQUIRED_FIELDS, r.kind)) return; // requestEntry names the unknown kind
  const required = REQUIRED_FIELDS[r.kind] as { fields: readonly string[]; example: string };
  const missing = required.fields.filter((f) => (r as unknown as Record<string, unknown>)[f] === undefined);
  if (missing.length > 0)
    throw new TargetError(
      `${r.kind} targets need ${missing.join(' and ')}: give ${missing.length > 1 ? 'them' : 'it'}, e.g. ${required.example}`,
    );
}

const unknownKind = (kind: string) =>
  new TargetError(`unknown target kind '${kind}' (${Object.keys(REQUEST_FIELDS).join(', ')})`);

/** A request's entropies: its grid checked and expanded as a spec entry's is. */
function entropyGrid(r: { kind: string; entropyBits: GridInput }, vocabSize?: number): number[] {
  // A list of numbers is checked against the vocabulary where its targets are made (kinds.ts), as a sweep's is.
  const list = r.entropyBits;
  if (Array.isArray(list) && list.length > 0 && list.every((h) => typeof h === 'number')) return list;
  const grid = Grid.safeParse(list);
  if (!grid.success) throw new TargetError(`${r.kind} targets: entropyBits: ${grid.error.issues[0].message}`);
  try {
    return expandGrid(grid.data, vocabSize!, `${r.kind} targets: entropyBits`);
  } catch (e) {
    if (e instanceof SpecError) throw new TargetError(e.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    throw e;
  }
}

/**
 * A request's target plans, exactly as a sweep with the same entry and seed plans them. An
 * entropy grid is read as the spec reads one (a number, a list, or 'start:stop:step' with 'max'
 * for log2 `vocabSize`, which only a number or a range needs).
 */
export function planRequest(r: SynthesisRequest, vocabSize?: number): TargetPlan[] {
  if (r === null || typeof r !== 'object')
    throw new TargetError(`give a target request such as { kind: 'vanilla', entropyBits: [1, 2] }, got ${shown(r)}`);
  refuseMissingFields(r);
  const entry = requestEntry(
    ('entropyBits' in r ? { ...r, entropyBits: entropyGrid(r, vocabSize) } : r) as ExpandedRequest,
  );
  // A misspelt field would otherwise be dropped and its default used.
  refuseUnknownKeys(`${r.kind} targets`, r, REQUEST_FIELDS[r.kind], (m) => new TargetError(m), 'field');
  const { shape } = kindDef(entry.kind).schema;
  // Every field through the spec's own check; the request's one pos-uniform `tag` is the entry's `tags`.
  for (const [field, value] of Object.entries(entry)) {
    if (field === 'kind' || field === 'entropyBits' || value === undefined) continue;
    const checked = shape[field].safeParse(value);
    const named = field === 'tags' ? 'tag' : field;
    if (!checked.success) throw new TargetError(`${r.kind} targets: ${named}: ${checked.error.issues[0].message}`);
  }
  const seed = STUDY_SEED.safeParse(r.seed);
  if (!seed.success) throw new TargetError(`${r.kind} targets: seed: ${seed.error.issues[0].message}`);
  try {
    return planEntry(entry, { seed: seed.data, where: 'request', fileTargetCount: targetFileCount });
  } catch (e) {
    if (e instanceof SpecError) throw new TargetError(e.issues.map((i) => i.message).join('; '));
    throw e;
  }
}

export async function synthesizeTargets(
  model: Model | { vocabSize: number; device?: string },
  request: SynthesisRequest,
): Promise<TargetSet> {
  if (model === null || typeof model !== 'object')
    throw new TargetError(`synthesizeTargets needs a Model or { vocabSize }, got ${shown(model)}`);
  const isModel = 'info' in model;
  if (!isModel)
    refuseUnknownKeys('synthesizeTargets', model, { vocabSize: true, device: true }, (m) => new TargetError(m));
  // An unknown kind is named as such, not as a kind that needs a model; a missing request by planRequest.
  const given = request !== null && typeof request === 'object';
  if (!isModel && given && !Object.hasOwn(REQUEST_FIELDS, request.kind)) throw unknownKind(request.kind);
  if (!isModel && given && !['vanilla', 'outlier', 'file'].includes(request.kind))
    throw new TargetError(`${request.kind} targets need a model, not just a vocabulary size`);
  const vocab = isModel ? model.info.vocabSize : model.vocabSize;
  if (!Number.isInteger(vocab) || vocab < 2)
    throw new TargetError(`vocabSize must be an integer of at least 2, got ${shown(vocab)}`);
  const device = isModel ? model.info.device : (model.device ?? 'cpu');
  const host = isModel ? model : ({ info: { vocabSize: vocab, device } } as unknown as Model);
  const plans = planRequest(request, vocab);
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
