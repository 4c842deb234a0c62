// Every target kind of the study in one table, for planning only: kind → its spec schema
// (lib/spec/schema.ts), the id that names one of its targets and the plan that turns a spec entry
// into targets. Pure: no model, tokenizer or worker, so the planner, merge and the study's plans
// load none of them. The makers (plans → distributions) are their own table, lib/targets/make.ts.
// The sweep planner and synthesizeTargets both plan through `planEntry`, so a target's id, and
// hence its seed, is the same whichever way it was asked for.
import type { z } from 'zod';

import type { ResolvedTarget } from '../spec/parse.js';
import { SpecError } from '../spec/errors.js';
import { TargetSpec, type PosTag, type TargetKind } from '../spec/schema.js';
import { stableSeed } from '../ids/hash.js';

/** Each kind's parameters, as its plan sets them (and a result row's targetParams starts with). */
export interface TargetParams {
  lm: { promptLength: number; index: number };
  /** A grid point, or the pair of an lm target (its entropy known only once that is made). */
  vanilla:
    | { entropyBits: number; sample: number; method: 'gradient' | 'temperature'; eps?: number; pairedWith?: undefined }
    | { pairedWith: string; entropyBits: null; method?: undefined; eps?: undefined };
  outlier: { entropyBits: number; sample: number; outliers: number; eps?: number };
  shuffled: { lmTarget: string; lmSeed: number; promptLength: number; index: number; shuffleIndex: number };
  migrated: { sourceModel: string; promptLength: number; index: number };
  'pos-uniform': { posTag: PosTag; n: number; index: number };
  file: { path: string; index: number };
}

/** One target to make: its kind, its stable id, its seed and the kind's own parameters. */
export interface PlanOf<K extends TargetKind> {
  targetId: string;
  kind: K;
  /** Seed for synthesis, from (sweep seed, targetId) only. */
  seed: number;
  params: TargetParams[K];
}

/** A target plan of any kind, told apart by `kind`. */
export type TargetPlan = { [K in TargetKind]: PlanOf<K> }[TargetKind];

export interface PlanContext {
  /** The sweep's (or request's) seed; a target's own seed is stableSeed(seed, targetId). */
  seed: number;
  /** Where the entry sits, for errors: 'targets[2]'. */
  where: string;
  /** Number of targets in a `file` target's file; required to plan one. */
  fileTargetCount?: (path: string) => number;
}

/** Grid values in ids: at most 6 decimals, no trailing zeros ('1.25', '0', '15.617036'). */
export function formatBits(h: number): string {
  return String(Number(h.toFixed(6)));
}

type Entry<K extends TargetKind> = Extract<ResolvedTarget, { kind: K }>;

export interface TargetKindDef<K extends TargetKind> {
  /** The kind's entry in a sweep spec, as lib/spec/schema.ts validates it. */
  schema: z.ZodObject;
  /** The target's id from the parameters that make it. */
  id(...args: never[]): string;
  /** A resolved spec entry → its targets, in plan order. */
  plan(t: Entry<K>, ctx: PlanContext): TargetPlan[];
}

function schemaOf(kind: TargetKind): z.ZodObject {
  const found = TargetSpec.options.find((o) => o.shape.kind.value === kind);
  if (!found) throw new Error(`lib/spec/schema.ts has no target schema for kind '${kind}'`);
  return found as unknown as z.ZodObject;
}

const planned = <K extends TargetKind>(ctx: PlanContext, kind: K, targetId: string, params: TargetParams[K]) => ({
  targetId,
  kind,
  seed: stableSeed(ctx.seed, targetId),
  params,
});

const vanillaId = (h: number, sample: number, method: string) =>
  // The study's gradient method keeps the short id; the exact alternative is marked.
  `vanilla:h=${formatBits(h)}:s=${sample}${method === 'gradient' ? '' : `:m=${method}`}`;
const pairedId = (lmId: string) => `vanilla:paired=${lmId}`;
const outlierId = (k: number, h: number, sample: number) => `outlier:k=${k}:h=${formatBits(h)}:s=${sample}`;
const lmId = (promptLength: number, i: number) => `lm:n=${promptLength}:i=${i}`;
const shuffledId = (lmTarget: string, j: number) => `shuffled:${lmTarget}:j=${j}`;
const migratedId = (source: string, promptLength: number, i: number) =>
  `migrated:src=${source}:n=${promptLength}:i=${i}`;
const posId = (tag: string, n: number, i: number) => `pos-uniform:tag=${tag}:n=${n}:i=${i}`;
const fileId = (path: string, i: number) => `file:${path}:i=${i}`;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * The mapped type makes the table exhaustive: a kind added to the spec schema does not compile
 * until it has a row here (and one in the makers' table).
 */
export const TARGET_REGISTRY = {
  lm: {
    schema: schemaOf('lm'),
    id: lmId,
    plan: (t, ctx) =>
      range(t.count).flatMap((i) => {
        const id = lmId(t.promptLength, i);
        const lm = planned(ctx, 'lm', id, { promptLength: t.promptLength, index: i });
        // The pair's entropy is the lm target's, known only after synthesis: it follows its lm
        // target in the plan so the maker has it by then.
        return t.pairedVanilla
          ? [lm, planned(ctx, 'vanilla', pairedId(id), { pairedWith: id, entropyBits: null })]
          : [lm];
      }),
  },
  vanilla: {
    schema: schemaOf('vanilla'),
    id: vanillaId,
    plan: (t, ctx) =>
      t.entropyBits.flatMap((h) =>
        range(t.samples).map((s) =>
          planned(ctx, 'vanilla', vanillaId(h, s, t.method), {
            entropyBits: h,
            sample: s,
            method: t.method,
            eps: t.eps,
          }),
        ),
      ),
  },
  outlier: {
    schema: schemaOf('outlier'),
    id: outlierId,
    plan: (t, ctx) =>
      t.entropyBits.flatMap((h) =>
        range(t.samples).map((s) =>
          planned(ctx, 'outlier', outlierId(t.outliers, h, s), {
            entropyBits: h,
            sample: s,
            outliers: t.outliers,
            eps: t.eps,
          }),
        ),
      ),
  },
  shuffled: {
    schema: schemaOf('shuffled'),
    id: shuffledId,
    // Same id as the lm kind's target, hence the same seed and prompt: shuffles of the very
    // targets the lm rows tune (the study's Figure 9 compares them).
    plan: (t, ctx) =>
      range(t.count).flatMap((i) => {
        const lmTarget = lmId(t.promptLength, i);
        const lmSeed = stableSeed(ctx.seed, lmTarget);
        return range(t.shuffles).map((j) =>
          planned(ctx, 'shuffled', shuffledId(lmTarget, j), {
            lmTarget,
            lmSeed,
            promptLength: t.promptLength,
            index: i,
            shuffleIndex: j,
          }),
        );
      }),
  },
  migrated: {
    schema: schemaOf('migrated'),
    id: migratedId,
    plan: (t, ctx) =>
      range(t.count).map((i) =>
        planned(ctx, 'migrated', migratedId(t.source, t.promptLength, i), {
          sourceModel: t.source,
          promptLength: t.promptLength,
          index: i,
        }),
      ),
  },
  'pos-uniform': {
    schema: schemaOf('pos-uniform'),
    id: posId,
    plan: (t, ctx) =>
      t.tags.flatMap((tag) =>
        range(t.count).map((i) => planned(ctx, 'pos-uniform', posId(tag, t.n, i), { posTag: tag, n: t.n, index: i })),
      ),
  },
  file: {
    schema: schemaOf('file'),
    id: fileId,
    plan: (t, ctx) => {
      if (!ctx.fileTargetCount) {
        throw new SpecError([
          {
            path: `${ctx.where}.path`,
            message: `planning file targets needs the number of targets in '${t.path}'; the caller must read the file first`,
          },
        ]);
      }
      const count = ctx.fileTargetCount(t.path);
      if (!Number.isInteger(count) || count < 1)
        throw new SpecError([{ path: `${ctx.where}.path`, message: `'${t.path}' holds no targets (count ${count})` }]);
      return range(count).map((i) => planned(ctx, 'file', fileId(t.path, i), { path: t.path, index: i }));
    },
  },
} satisfies { [K in TargetKind]: TargetKindDef<K> };

export function kindDef(kind: string): TargetKindDef<TargetKind> {
  const def = (TARGET_REGISTRY as Record<string, TargetKindDef<TargetKind> | undefined>)[kind];
  if (!def)
    throw new SpecError([
      { path: 'kind', message: `unknown target kind '${kind}' (${Object.keys(TARGET_REGISTRY).join(', ')})` },
    ]);
  return def;
}

/** One resolved spec entry (or library request) → its target plans. */
export function planEntry(t: ResolvedTarget, ctx: PlanContext): TargetPlan[] {
  return (kindDef(t.kind).plan as (t: ResolvedTarget, ctx: PlanContext) => TargetPlan[])(t, ctx);
}
