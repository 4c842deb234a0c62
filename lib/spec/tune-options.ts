// tune() options: validated before any native work, with the study's defaults (lib/spec/defaults.ts).
// The native tuner restates none of these rules; it is handed every setting explicitly, and the
// sweep spec (lib/spec/schema.ts) takes the tuning fields it sets from this schema's shape.
import { z } from 'zod';

import { STUDY_DEFAULTS as D, TUNE_DEFAULTS } from './defaults.js';
import {
  countInt,
  flag,
  intUpTo,
  nonNegativeInt,
  oneOf,
  positiveInt,
  positiveNumber,
  shown,
  unknownKeysError,
} from './fields.js';
import { addSaidIssue, IssuesError, optionIssuesMessage, type SpecIssue, zodIssues } from './errors.js';
import { option, said } from '../io/said.js';
import { candidatesIssue, impliedPattern, patternIssue } from './pattern.js';

/** The tuning settings: every field with its rule, message and default. */
const fields = {
  method: oneOf(['soft', 'hard', 'hybrid']).default('soft'),
  /** hybrid: one letter per position, H hard, S soft (e.g. HHSSS) */
  pattern: z.string().optional(),
  prefixLength: intUpTo(512).default(D.prefixLength),
  inits: countInt().default(D.inits),
  lr: z
    .number({ error: (iss) => `must be a finite number > 0, got ${shown(iss.input)}` })
    .positive({ error: (iss) => `must be > 0, got ${shown(iss.input)}` })
    .default(D.lr),
  beta1: z.number().min(0).lt(1).default(D.beta1),
  beta2: z.number().min(0).lt(1).default(D.beta2),
  /** AdamW denominator epsilon */
  eps: positiveNumber().default(D.eps),
  weightDecay: z
    .number({ error: (iss) => `expected a number >= 0, got ${shown(iss.input)}` })
    .min(0, { error: (iss) => `must be >= 0, got ${shown(iss.input)}` })
    .default(D.weightDecay),
  maxEpochs: positiveInt().default(D.maxEpochs),
  patience: positiveInt().default(D.patience),
  candidates: intUpTo(512).default(D.candidates),
  convergedNats: z.number().min(0).optional(),
  seed: nonNegativeInt().default(TUNE_DEFAULTS.seed),
  batchSize: z
    .union([z.literal('auto'), positiveInt()], {
      error: (iss) => `expected 'auto' or a positive integer, got ${shown(iss.input)}`,
    })
    .default(TUNE_DEFAULTS.batchSize),
  init: oneOf(['tokens', 'gaussian']).default(D.init),
  /** epochs per native call: rows that stop are replaced at these boundaries */
  chunkEpochs: positiveInt().default(D.chunkEpochs),
  /** ban special tokens (default) and optionally tokens that are not printable text */
  ban: oneOf(['none', 'special', 'special+nonprintable']).default('special'),
  /** each record's softPrompt: its best soft prompt, prefixLength × hidden (0 at hard positions; null for hard rows) */
  returnSoftPrompt: z.boolean().default(false),
  /**
   * every epoch runs over every slot (stopped and empty ones masked out), so its shapes never
   * change and it never waits for the host; what cudaGraph captures. Any method; the same
   * results as the usual epochs
   */
  fixedShapes: z.boolean().default(false),
  /**
   * CUDA only: capture the fixed-shape epoch once as a CUDA graph and replay it (implies
   * fixedShapes; the same results as eager epochs). Absent: on where that has been checked on a
   * GPU (see cudaGraphFor); true asks for it for any method, false turns it off
   */
  cudaGraph: flag().optional(),
  /**
   * hard and hybrid: each position's step starts from the keys and values of the positions
   * before it (unchanged since their own step) instead of recomputing the whole prompt; the
   * same results within float rounding, false runs the plain epoch
   */
  prefixCache: z.boolean().default(true),
  /**
   * hard prompts (no soft position): a row that ends an epoch at a prompt one of its last
   * min(patience, 64) epochs began from stops ('stalled') instead of going round that cycle until
   * its patience runs out (it would find no new minimum); the same klNats, prompt and bestEpoch,
   * fewer epochs. false waits out patience
   */
  stopStalled: flag().default(true),
  /**
   * rows run in fixed groups of batchSize in the order given (no refill mid-group, no halving on
   * out of memory), so that on the same device, dtype and thread count a row's result is bitwise
   * the same in every run of its group; needs a fixed batchSize
   */
  deterministic: flag().default(false),
};

/**
 * The options a hard method does not read: AdamW's (lr, its betas and eps, weight decay), which
 * steps soft positions only, the init that draws them (a row's first tokens come from its seed
 * alike under either), and the soft prompt returned of them. A hard prompt has no soft position,
 * so each, given, would change nothing: tune() refuses it, and a sweep's hard rows run without
 * them (lib/run/method-options.ts, whose table of the sweep settings hard rows ignore is made of this one).
 */
export const SOFT_POSITION_OPTIONS = [
  'lr',
  'beta1',
  'beta2',
  'eps',
  'weightDecay',
  'init',
  'returnSoftPrompt',
] as const;
export type SoftPositionOption = (typeof SOFT_POSITION_OPTIONS)[number];

/**
 * The soft-position options `input` gives a hard method, each as an issue: given is set to a value
 * (a default is no one's choice, and an option left undefined or a returnSoftPrompt of false asks
 * for nothing). Checked on the input, where a given option can be told from its default.
 */
function softPositionIssues(input: unknown): SpecIssue[] {
  if (input === null || typeof input !== 'object' || (input as { method?: unknown }).method !== 'hard') return [];
  const o = input as Record<string, unknown>;
  return SOFT_POSITION_OPTIONS.filter((k) => o[k] !== undefined && o[k] !== false).map((k) => {
    const message = said`is for soft positions, and a hard prompt has none: leave it out, or use ${option('method', 'hybrid')} or ${option('method', 'soft')}`;
    return { path: k, message: String(message), said: message };
  });
}

/** Where deterministic is asked with batchSize 'auto' (tune() options and a sweep spec). */
export const DETERMINISTIC_NEEDS_A_BATCH = said`needs a fixed ${option('batchSize')} (e.g. 16), not 'auto': the batch size sets which rows run together`;

export const TuneOptionsSchema = z
  .strictObject(fields, {
    error: unknownKeysError(Object.keys(fields), ', besides the inputs TuneOptions lists: targets, rows, signal, …'),
  })
  .superRefine((o, ctx) => {
    if (o.deterministic && o.batchSize === 'auto') addSaidIssue(ctx, ['deterministic'], DETERMINISTIC_NEEDS_A_BATCH);
    const pattern = patternIssue(o.method, o.pattern, o.prefixLength);
    if (pattern) addSaidIssue(ctx, ['pattern'], pattern);
    const candidates = candidatesIssue(o.method, o.candidates, o.pattern);
    if (candidates) ctx.addIssue({ code: 'custom', path: ['candidates'], message: candidates });
  });

export type TuneSettings = z.output<typeof TuneOptionsSchema>;

export class TuneOptionsError extends IssuesError {
  override name = 'TuneOptionsError';

  telling(issues: readonly SpecIssue[]): TuneOptionsError {
    return tuneOptionsError(issues);
  }
}

/**
 * Whether a run replays its epochs as a CUDA graph: as asked, else where the capture has been
 * checked on a GPU (soft prompts on a CUDA device). Hard and hybrid epochs capture too, but only
 * when asked: no GPU has run their capture yet.
 */
export function cudaGraphFor(s: Pick<TuneSettings, 'cudaGraph' | 'method'>, device: string): boolean {
  return s.cudaGraph ?? (s.method === 'soft' && device.startsWith('cuda'));
}

/** What is wrong with tune() options, each by its field's path ('' for the options as a whole); empty when nothing is. */
export function tuneOptionIssues(input: unknown): SpecIssue[] {
  return checkTuneOptions(input).issues;
}

/** The options parsed, with what is wrong with them: the schema's issues, then those only the input shows. */
function checkTuneOptions(input: unknown) {
  const r = TuneOptionsSchema.safeParse(input);
  return { r, issues: [...(r.success ? [] : zodIssues(r.error)), ...softPositionIssues(input)] };
}

/** The error telling `issues`, each on a line of its own by its path. */
export const tuneOptionsError = (issues: readonly SpecIssue[]): TuneOptionsError =>
  new TuneOptionsError(optionIssuesMessage('invalid tune options', issues), issues);

export function parseTuneOptions(input: unknown): TuneSettings & { pattern: string } {
  const { r, issues } = checkTuneOptions(input);
  if (!r.success || issues.length > 0) throw tuneOptionsError(issues);
  const o = r.data;
  const pattern = o.method === 'hybrid' ? o.pattern! : impliedPattern(o.method, o.prefixLength);
  return { ...o, pattern };
}
