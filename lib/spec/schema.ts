// The sweep spec: one validated description of a job. Every entry point (CLI flags, --config
// JSON, the library) goes through `parseSpec`, so a bad field fails before any model is loaded.
// Defaults are the study's (lib/spec/defaults.ts).

import { z } from 'zod';

import { DETERMINISTIC_NEEDS_A_BATCH, TuneOptionsSchema } from './tune-options.js';
import { addSaidIssue } from './errors.js';
import { SPEC_DEFAULTS, TARGET_DEFAULTS } from './defaults.js';
import { countInt, flag, oneOf, positiveInt, shown, unknownKeysError } from './fields.js';
import { DTYPES } from '../native/types-model.js';
import { parseRange } from './grid.js';
import { resolveMethod } from './methods.js';
import { candidatesIssue, patternIssue, patternLettersIssue } from './pattern.js';

const SHARD = /^(\d+)\/(\d+)$/;
const DEVICE = /^(cpu|cuda(:\d+)?)$/;
const device = z
  .string({ error: "expected a device string: 'cpu', 'cuda' or 'cuda:N'" })
  .regex(DEVICE, { error: (iss) => `expected 'cpu', 'cuda' or 'cuda:N', got '${String(iss.input)}'` });

/** The tuning fields, rules and messages as tune() has them (tune-options.ts). */
const tuning = TuneOptionsSchema.shape;

/**
 * A spec object with its fields: a misspelt one is named with the fields there are, as tune()'s
 * options are (zod's own words were 'Unrecognized key'), and a value that is not an object at all
 * (`"methods": ["soft"]`) is shown beside an example of the entry expected.
 */
const entry = <T extends z.ZodRawShape>(shape: T, example: string) =>
  z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? `expected an entry such as ${example}, got ${shown(iss.input)}`
        : unknownKeysError(Object.keys(shape), '', 'field')(iss),
  });

const TARGET_EXAMPLE = '{"kind": "vanilla", "entropyBits": "0:max:1"}';

/** A grid in bits: a number, a list of numbers, or 'start:stop:step' (stop may be 'max'). */
export const Grid = z.union(
  [
    z.number().min(0, { error: 'must be >= 0 bits' }),
    z.array(z.number().min(0, { error: 'must be >= 0 bits' })).min(1, { error: 'must not be empty' }),
    z.string().superRefine((text, ctx) => {
      const r = parseRange(text);
      if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
    }),
  ],
  { error: "expected an entropy grid in bits: a number, a list of numbers, or 'start:stop:step' (stop may be 'max')" },
);

const POS_TAGS = ['noun', 'proper-noun', 'verb', 'adjective'] as const;

const Vanilla = entry(
  {
    kind: z.literal('vanilla'),
    entropyBits: Grid.default(TARGET_DEFAULTS.entropyBits),
    method: oneOf(['gradient', 'temperature']).default(TARGET_DEFAULTS.vanillaMethod),
    /** Stop synthesis when |H(p) − h| < eps (bits). */
    eps: z.number().positive({ error: 'must be > 0 bits' }).default(TARGET_DEFAULTS.epsBits),
    /** Targets per grid point (each with its own seed). */
    samples: countInt().default(1),
  },
  TARGET_EXAMPLE,
);

const Outlier = entry(
  {
    kind: z.literal('outlier'),
    entropyBits: Grid.default(TARGET_DEFAULTS.entropyBits),
    /** k: tokens that must hold mass >= m − δ. */
    outliers: positiveInt().default(1),
    eps: z.number().positive({ error: 'must be > 0 bits' }).default(TARGET_DEFAULTS.epsBits),
    samples: countInt().default(1),
  },
  TARGET_EXAMPLE,
);

const Lm = entry(
  {
    kind: z.literal('lm'),
    count: countInt().default(100),
    promptLength: positiveInt().default(5),
    /** Also plan a vanilla target of the same entropy per lm target (the study's matched pairs). */
    pairedVanilla: z.boolean().default(true),
  },
  TARGET_EXAMPLE,
);

const Shuffled = entry(
  {
    kind: z.literal('shuffled'),
    count: countInt().default(100),
    promptLength: positiveInt().default(5),
    shuffles: countInt().default(5),
  },
  TARGET_EXAMPLE,
);

const Migrated = entry(
  {
    kind: z.literal('migrated'),
    source: z.string({ error: 'expected the source model id (path, HF repo id or random:<preset>)' }).min(1),
    count: countInt().default(100),
    promptLength: positiveInt().default(5),
  },
  TARGET_EXAMPLE,
);

const PosUniform = entry(
  {
    kind: z.literal('pos-uniform'),
    tags: z
      .array(oneOf(POS_TAGS))
      .min(1, { error: 'must not be empty' })
      .default([...POS_TAGS]),
    /** Tokens per uniform target. */
    n: positiveInt().default(100),
    /** Targets per tag (several give the box plots something to summarise). */
    count: countInt().default(10),
  },
  TARGET_EXAMPLE,
);

const File = entry(
  {
    kind: z.literal('file'),
    path: z.string({ error: 'expected a path to an Arrow, safetensors or JSON targets file' }).min(1),
  },
  TARGET_EXAMPLE,
);

const TARGET_KINDS = ['vanilla', 'outlier', 'lm', 'shuffled', 'migrated', 'pos-uniform', 'file'] as const;

/** What a target entry's kind was, as its refusal names it: a misspelt `vanila`, or none given. */
const kindGiven = (input: unknown): string => {
  const kind = (input as { kind?: unknown }).kind;
  return kind === undefined ? 'none given' : `got ${shown(kind)}`;
};

export const TargetSpec = z.discriminatedUnion('kind', [Vanilla, Outlier, Lm, Shuffled, Migrated, PosUniform, File], {
  error: (iss) =>
    iss.code === 'invalid_union'
      ? `expected a target with kind one of ${TARGET_KINDS.join(', ')}, ${kindGiven(iss.input)}`
      : iss.code === 'invalid_type'
        ? `expected an entry such as ${TARGET_EXAMPLE}, got ${shown(iss.input)}`
        : undefined,
});

export const MethodSpec = entry(
  {
    method: oneOf(['soft', 'hard', 'hybrid']),
    pattern: z
      .string({ error: 'expected a string of H (hard) and S (soft), e.g. HHSSS' })
      .superRefine((p, ctx) => {
        const issue = patternLettersIssue(p);
        if (issue) ctx.addIssue({ code: 'custom', message: issue });
      })
      .optional(),
    candidates: tuning.candidates.unwrap().optional(),
  },
  '{"method": "soft"}',
);

// Written by hand rather than as a zod union: a union reports only "no branch matched", and the
// user deserves to hear what was wrong with the shard they typed. The value is read as unknown (a
// spec is JSON), while a script's SweepSpecInput is told the two forms it takes.
export const ShardSpec = z.custom<string | Shard>().transform((value: unknown, ctx): Shard => {
  const fail = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  if (typeof value === 'string') {
    const m = SHARD.exec(value.trim());
    if (!m) return fail(`expected 'i/N' with 0 <= i < N (e.g. '0/3'), got '${value}'`);
    return { index: Number(m[1]), count: Number(m[2]) };
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { index, count, ...rest } = value as Record<string, unknown>;
    if (Object.keys(rest).length > 0)
      return fail(`unknown shard field(s) ${Object.keys(rest).join(', ')}: expected { index, count }`);
    if (!Number.isInteger(index) || (index as number) < 0)
      return fail(`shard.index must be an integer >= 0, got ${JSON.stringify(index)}`);
    if (!Number.isInteger(count) || (count as number) < 1)
      return fail(`shard.count must be an integer >= 1, got ${JSON.stringify(count)}`);
    return { index: index as number, count: count as number };
  }
  return fail(`expected a shard as 'i/N' or { index, count }, got ${JSON.stringify(value)}`);
});

const SPEC_FIELDS = {
  model: z
    .string({ error: 'expected a model: a local path, an HF repo id or random:<preset>' })
    .min(1)
    .default(SPEC_DEFAULTS.model),
  device: device.default(SPEC_DEFAULTS.device),
  devices: z.array(device).min(1, { error: 'must not be empty' }).optional(),
  dtype: oneOf(DTYPES).default(SPEC_DEFAULTS.dtype),
  targets: z
    .array(TargetSpec, {
      error: (iss) => `expected a list of target entries, e.g. [${TARGET_EXAMPLE}], got ${shown(iss.input)}`,
    })
    .min(1, { error: 'at least one target kind is needed' })
    .default(SPEC_DEFAULTS.targets),
  methods: z
    .array(MethodSpec, {
      error: (iss) => `expected a list of method entries, e.g. [{"method": "soft"}], got ${shown(iss.input)}`,
    })
    .min(1, { error: 'at least one method is needed' })
    .default(SPEC_DEFAULTS.methods),
  prefixLength: tuning.prefixLength,
  inits: tuning.inits,
  init: tuning.init,
  lr: tuning.lr,
  // Optional, not defaulted: a spec that leaves it out keeps its hash (and its resumable files);
  // tune() then uses STUDY_DEFAULTS.weightDecay.
  weightDecay: tuning.weightDecay.unwrap().optional(),
  maxEpochs: tuning.maxEpochs,
  patience: tuning.patience,
  batchSize: tuning.batchSize,
  /**
   * soft methods on CUDA: replay each epoch as a CUDA graph (tune's cudaGraph). Absent: tune's
   * default, on wherever graphs are exact; false turns them off; true asks for them (CUDA only)
   */
  cudaGraph: tuning.cudaGraph,
  /**
   * Rows batch in fixed groups of the plan (batchSize each, which must then be a number); shards
   * take whole groups and a resume reruns a partly finished group whole, so results are bitwise
   * the same across resumes and shards on the same device, dtype and thread count. Optional, not
   * defaulted: a spec without it keeps its hash.
   */
  deterministic: tuning.deterministic.unwrap().optional(),
  /**
   * Compute each target's head bound (lib/bound) into the result rows; false (--no-bound) leaves
   * those columns null. Optional, not defaulted: on unless false, and a spec without it keeps its hash.
   */
  bound: flag().optional(),
  /**
   * Store each soft and hybrid row's best soft prompt (prefixLength × hidden float32, 0 at hard
   * positions) in the softPrompt column (--soft-prompts); hard rows have none. Optional, not
   * defaulted: a spec without it keeps its hash, and one with it is another sweep's file.
   */
  softPrompts: flag().optional(),
  seed: tuning.seed,
  output: z
    .string({ error: 'expected a file path' })
    .min(1, { error: 'expected a file path' })
    .default(SPEC_DEFAULTS.output),
  shard: ShardSpec.optional(),
};

export const SweepSpecSchema = z
  .strictObject(SPEC_FIELDS, {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? `expected a sweep spec object, got ${shown(iss.input)}`
        : unknownKeysError(Object.keys(SPEC_FIELDS), '', 'field')(iss),
  })
  .superRefine((spec, ctx) => {
    // Patterns and method labels are spelt out per position, which a prefix length the field
    // refuses (-1, 1e308: its own issue, said already) cannot be.
    const lengthOk = tuning.prefixLength.safeParse(spec.prefixLength).success;
    spec.methods.forEach((m, i) => {
      // Letters other than H and S are the pattern field's own issue already (MethodSpec): said once.
      const letters = m.pattern !== undefined && patternLettersIssue(m.pattern) !== null;
      const pattern = letters || !lengthOk ? null : patternIssue(m.method, m.pattern, spec.prefixLength);
      if (pattern) addSaidIssue(ctx, ['methods', i, 'pattern'], pattern);
      const candidates = candidatesIssue(m.method, m.candidates, m.pattern);
      if (candidates) ctx.addIssue({ code: 'custom', path: ['methods', i, 'candidates'], message: candidates });
    });
    const seen = new Map<string, { at: number; label: string }>();
    if (lengthOk)
      spec.methods.forEach((m, i) => {
        const { label, pattern, candidates } = resolveMethod(m, spec.prefixLength);
        // A hybrid of H only runs the hard method's rows, one of S only the soft method's: the
        // same rows twice under two labels.
        const onlyH = !pattern.includes('S');
        const runs = onlyH ? `hard:k=${candidates}` : pattern.includes('H') ? label : 'soft';
        const first = seen.get(runs);
        if (first === undefined) seen.set(runs, { at: i, label });
        else
          ctx.addIssue({
            code: 'custom',
            path: ['methods', i],
            message:
              first.label === label
                ? `duplicates methods[${first.at}] (${label}): each method must be listed once`
                : `${label} runs the rows of methods[${first.at}] (${first.label}): a pattern of ${onlyH ? 'H only is the hard' : 'S only is the soft'} method; list it once`,
          });
      });
    if (spec.deterministic && spec.batchSize === 'auto')
      addSaidIssue(ctx, ['deterministic'], DETERMINISTIC_NEEDS_A_BATCH);
    if (spec.cudaGraph) {
      const cpu = [spec.device, ...(spec.devices ?? [])].filter((d) => !d.startsWith('cuda'));
      if (cpu.length)
        ctx.addIssue({
          code: 'custom',
          path: ['cudaGraph'],
          message: `needs CUDA devices; ${cpu.join(', ')} is not one`,
        });
    }
    if (spec.shard && spec.shard.index >= spec.shard.count) {
      ctx.addIssue({
        code: 'custom',
        path: ['shard'],
        message: `index ${spec.shard.index} must be < count ${spec.shard.count}`,
      });
    }
  });

export type SweepSpec = z.output<typeof SweepSpecSchema>;
export type SweepSpecInput = z.input<typeof SweepSpecSchema>;
export type TargetSpec = z.output<typeof TargetSpec>;
export type TargetKind = TargetSpec['kind'];
export type MethodSpec = z.output<typeof MethodSpec>;
export type PosTag = (typeof POS_TAGS)[number];
export interface Shard {
  index: number;
  count: number;
}
export { TARGET_KINDS, POS_TAGS };
