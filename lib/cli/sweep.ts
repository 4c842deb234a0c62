// `distprompt sweep`: its flags and their defaults; what it runs is sweep-action.ts, loaded when
// it runs. With no spec at all it starts from the quick demo run (QUICK_DEMO_SWEEP) on the
// embedded demo model (README, "Command line").
import type { Command } from 'commander';

import { QUICK_DEMO_SWEEP, SPEC_DEFAULTS, STUDY_DEFAULTS, TUNE_DEFAULTS, withDefault } from '../spec/defaults.js';
import { resolveMethod, type MethodEntry } from '../spec/methods.js';
import { loadedAction } from './startup.js';

/**
 * The spec `distprompt sweep --config` fills in for fields left out, and the one it runs without
 * --config: the defaults parseSpec fills in, read without loading its validator (and weightDecay,
 * which a spec leaves out, as tune() then runs it).
 */
const STUDY_SPEC: ShownSpec = { ...STUDY_DEFAULTS, ...TUNE_DEFAULTS, ...SPEC_DEFAULTS };
const DEMO_SPEC: ShownSpec = { ...STUDY_SPEC, ...QUICK_DEMO_SWEEP };

/** The fields of a spec that the help shows. */
interface ShownSpec {
  model: string;
  device: string;
  dtype: string;
  targets: readonly { kind: string; entropyBits?: unknown }[];
  methods: readonly MethodEntry[];
  prefixLength: number;
  inits: number;
  init: string;
  lr: number;
  weightDecay: number;
  maxEpochs: number;
  patience: number;
  batchSize: number | string;
  seed: number;
  output: string;
}

/** A sweep flag's default: the spec's, and the quick demo run's where that differs. */
const sweepDefault = (description: string, of: (spec: ShownSpec) => unknown): string => {
  const [study, demo] = [of(STUDY_SPEC), of(DEMO_SPEC)].map(String);
  return withDefault(description, demo === study ? study : `${study}; ${demo} in the run without --config`);
};

/** The grid of the spec's first target where it has one (vanilla and outlier targets). */
const entropyOf = (spec: ShownSpec): unknown => spec.targets[0].entropyBits;

/** --shard-count of sweep and study: where the environment gives the index alone. */
export const SHARD_COUNT_HELP =
  'how many shards there are, where the environment gives only the index (JOB_COMPLETION_INDEX; or set DISTPROMPT_SHARD_COUNT)';

/** --plan of sweep and study: what it prints, and that it runs and writes nothing. */
export const PLAN_HELP =
  'print the rows and how long they will take (worst and typical case, from a few seconds of calibration per method on this model and device; with --resume the rows left, with --devices the busiest device); write nothing';

/** --wait-for-lock of sweep and study. */
export const WAIT_FOR_LOCK_HELP =
  "if another run holds the output, wait until it ends or its lock is abandoned (another host's: 2 minutes unrenewed) instead of exiting 2 (a cluster's retried task)";

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('run a sweep: targets × inits × methods, results to an Arrow file, figures beside it')
    .option('-c, --config <file>', 'sweep spec as JSON (flags override its fields)')
    .option(
      '-m, --model <model>',
      sweepDefault('model directory, Hugging Face repo id or random:<preset>', (s) => s.model),
    )
    .option(
      '--device <device>',
      sweepDefault('cpu, cuda or cuda:N', (s) => s.device),
    )
    .option('--devices <list>', 'one worker per device, e.g. cuda:0,cuda:1 (merged at the end)')
    .option(
      '--dtype <dtype>',
      sweepDefault('float32, bfloat16 or float16', (s) => s.dtype),
    )
    .option(
      '--targets <kinds>',
      sweepDefault(
        'target kinds, comma separated, each with its defaults (vanilla,outlier,lm,shuffled,pos-uniform; migrated and file need a source or path: give them in --config)',
        (s) => s.targets.map((t) => t.kind).join(','),
      ),
    )
    .option(
      '--entropy <grid>',
      sweepDefault("entropy grid in bits for vanilla/outlier targets, e.g. '0:max:0.05' or '0,2,4'", entropyOf),
    )
    .option(
      '--methods <list>',
      sweepDefault("methods, e.g. 'soft,hard:k=4,hybrid:HHSSS'", (s) =>
        s.methods.map((m) => resolveMethod(m, s.prefixLength).label).join(','),
      ),
    )
    .option(
      '--prefix-length <n>',
      sweepDefault('searched prompt positions', (s) => s.prefixLength),
    )
    .option(
      '--inits <n>',
      sweepDefault('initialisations per target', (s) => s.inits),
    )
    .option(
      '--init <kind>',
      sweepDefault('tokens or gaussian', (s) => s.init),
    )
    .option(
      '--lr <lr>',
      sweepDefault('AdamW learning rate of soft positions', (s) => s.lr),
    )
    .option(
      '--weight-decay <wd>',
      sweepDefault('AdamW decoupled weight decay (the studies give 0.01)', (s) => s.weightDecay),
    )
    .option(
      '--max-epochs <n>',
      sweepDefault('epoch budget per row', (s) => s.maxEpochs),
    )
    .option(
      '--patience <n>',
      sweepDefault('epochs without a new minimum before a row stops', (s) => s.patience),
    )
    .option(
      '--batch-size <n>',
      sweepDefault("rows on the device at once, or 'auto'", (s) => s.batchSize),
    )
    .option('--cuda-graph', 'soft methods on CUDA: replay each epoch as a CUDA graph (on by default there)')
    .option('--no-cuda-graph', 'run every epoch eagerly, CUDA graphs off')
    .option(
      '--deterministic',
      'rows batch in fixed groups of the plan (needs a number for --batch-size): bitwise the same results across --resume and shards',
    )
    .option('--no-bound', "skip each target's head bound (the lowest KL any prompt can reach): its columns stay null")
    .option('--soft-prompts', "store soft and hybrid rows' best soft prompts in the softPrompt column")
    .option(
      '--seed <n>',
      sweepDefault('sweep seed', (s) => s.seed),
    )
    .option(
      '-o, --output <file>',
      sweepDefault('results file (Arrow IPC)', (s) => s.output),
    )
    .option(
      '--shard <i/N>',
      'run the i-th of N slices (default: from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX)',
    )
    .option('--shard-count <N>', SHARD_COUNT_HELP)
    .option('--resume', 'continue an interrupted run of the same spec (no row lost or repeated)')
    .option('--overwrite', 'replace an existing finished results file (kept until the new one is written)')
    .option('--wait-for-lock', WAIT_FOR_LOCK_HELP)
    .option(
      '--reuse <files...>',
      "finished results files of earlier sweeps: this sweep's rows one of them holds, run alike (same model, target, method, init and settings, this version), are copied, not run again",
    )
    .option(
      '--figures <dir>',
      'where to write the figures (default: figures/ beside the results); --no-figures for none',
    )
    .option('--no-figures', 'do not draw figures')
    .option('--plan', PLAN_HELP)
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'machine-readable progress events on stdout (with --plan: the plan as JSON)')
    .action(loadedAction(async () => (await import('./sweep-action.js')).sweepAction));
}
