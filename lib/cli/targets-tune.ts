// `distprompt targets` (synthesise and save) and `distprompt tune` (a few targets, best prompts
// printed): their flags; what they run is targets-tune-action.ts, loaded when one runs.
import type { Command } from 'commander';

import { QUICK_TUNE, STUDY_DEFAULTS as D, withDefault } from '../spec/defaults.js';
import { UsageError } from './exit.js';
import { loadedAction } from './startup.js';
import { FLAG_DEFAULTS, KIND_LIST } from './target-flags.js';

// The model's arithmetic, for targets and tune (bound's --dtype is its solver's, a flag of its own).
const DTYPE_FLAG = '--dtype <dtype>';
const DTYPE_HELP = "the model's arithmetic: float32 (default), bfloat16 or float16";

export const targetOptions = (c: Command) =>
  c
    .option('-m, --model <model>', 'model directory, Hugging Face repo id or random:<preset>', 'random:demo')
    .option('--device <device>', 'cpu, cuda or cuda:N', 'cpu')
    .option('--kind <kind>', KIND_LIST, 'vanilla')
    .option(
      '--entropy <grid>',
      `entropies in bits: '0,2,4' or '0:max:1' (vanilla, outlier; needed by targets, ${FLAG_DEFAULTS.entropy} bits in tune and bound)`,
    )
    .option('--outliers <k>', withDefault('outlier tokens (outlier kind)', FLAG_DEFAULTS.outliers))
    .option(
      '--count <n>',
      `targets (lm, migrated; shuffled: the lm targets to shuffle) (default: ${FLAG_DEFAULTS.count}); pos-uniform: targets of the tag (default: ${FLAG_DEFAULTS.posCount})`,
    )
    .option('--source <model>', 'source model (migrated)')
    .option('--tag <tag>', 'noun, proper-noun, verb or adjective (pos-uniform)')
    .option('--method <m>', withDefault('gradient (Eq. 1) or temperature (vanilla)', FLAG_DEFAULTS.method))
    .option('--seed <n>', 'seed', seedFlag, '0');

/** --seed as given, refused while the command line is read (before any model loads) unless an integer >= 0. */
function seedFlag(v: string): string {
  const seed = Number(v);
  if (v.trim() === '' || !Number.isInteger(seed) || seed < 0)
    throw new UsageError(`--seed must be an integer >= 0, got '${v}'`);
  return v;
}

export function registerTargetsAndTune(program: Command): void {
  targetOptions(
    program
      .command('targets')
      .description('synthesise target distributions and save them (Arrow, safetensors or JSON)'),
  )
    .option(DTYPE_FLAG, DTYPE_HELP)
    .option(
      '-o, --output <file>',
      'output file: .arrow (ids, metadata columns, float32 rows), .safetensors (float32 rows, ids in its header), else JSON (ids and metadata with the rows)',
      'targets.json',
    )
    .option('--overwrite', 'replace an existing output file')
    .action(loadedAction(async () => (await import('./targets-tune-action.js')).targetsAction));

  targetOptions(program.command('tune').description('tune one or a few targets and print the best prompts'))
    .option(DTYPE_FLAG, DTYPE_HELP)
    .option('--targets <file>', "a targets file from 'distprompt targets' (instead of --kind/--entropy)")
    .option('--search <method>', 'soft, hard or hybrid', 'soft')
    .option('--pattern <HS>', 'hybrid pattern, e.g. HHSSS')
    // No commander defaults here: what is left out gets the study's (tune() applies them).
    .option('-k, --candidates <k>', withDefault('HotFlip candidates', D.candidates))
    .option('--prefix-length <n>', withDefault('searched positions', D.prefixLength))
    .option('--inits <n>', withDefault('initialisations per target', QUICK_TUNE.inits))
    .option('--max-epochs <n>', withDefault('epoch budget', D.maxEpochs))
    .option('--patience <n>', withDefault('patience in epochs', D.patience))
    .option(
      '--cuda-graph',
      'on CUDA: replay each epoch as a CUDA graph (soft: on by default there; hard, hybrid: only with this flag)',
    )
    .option('--no-cuda-graph', 'run every epoch eagerly, CUDA graphs off')
    .option('--json', 'print JSON records')
    .action(loadedAction(async () => (await import('./targets-tune-action.js')).tuneAction));
}
