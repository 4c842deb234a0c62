// `distprompt study <name>[,<name>…] -m <model>[,<model>…]`: the paper's experiments as named
// studies (studies/*.json), one sweep per (experiment, model) into one folder, then the findings,
// figures and report. Its flags; what it runs is study-action.ts, loaded when it runs.
import type { Command } from 'commander';

import { SPEC_DEFAULTS, TUNE_DEFAULTS, withDefault } from '../spec/defaults.js';
import { loadedAction } from './startup.js';
import { PLAN_HELP, SHARD_COUNT_HELP, WAIT_FOR_LOCK_HELP } from './sweep.js';

export function registerStudy(program: Command): void {
  // What a sweep of a study runs with where neither the flag nor the study file says (lib/study/plan.ts).
  const spec = { ...SPEC_DEFAULTS, ...TUNE_DEFAULTS };
  program
    .command('study [names]')
    .description("run the paper's experiments as named studies (see --list): sweeps, findings, figures, one report")
    .option('--list', 'print the studies (or the ones named) and what each reproduces')
    .option(
      '--studies <dir>',
      withDefault(
        "take the study files from this folder (e.g. edited copies of the package's studies/)",
        "the package's",
      ),
    )
    .option(
      '-m, --model <models>',
      'models, comma separated: directories, Hugging Face repo ids, random:<preset or checkpoint>',
    )
    .option(
      '--scale <scale>',
      "'paper' (the paper's sizes, App. B) or 'smoke' (a small version: minutes on 2 CPU cores)",
      'paper',
    )
    .option('--device <device>', withDefault('cpu, cuda or cuda:N', spec.device))
    .option(
      '--devices <list>',
      'one worker per device, e.g. cuda:0,cuda:1 (each runs a shard of every sweep; merged here)',
    )
    .option('--dtype <dtype>', withDefault('float32, bfloat16 or float16', `the study file's, else ${spec.dtype}`))
    .option('--seed <n>', withDefault('sweep seed of every sweep', `the study file's, else ${spec.seed}`))
    .option('--no-bound', "skip each target's head bound (faster on CPUs; finding 6 then has no data)")
    .option('-o, --output <dir>', 'output folder (default: study-<names>)')
    .option('--resume', 'keep finished sweeps and continue interrupted ones')
    .option('--overwrite', 'run every sweep again, replacing its results (each kept until its new file is written)')
    .option('--wait-for-lock', WAIT_FOR_LOCK_HELP)
    .option(
      '--shard <i/N>',
      'run the i-th of N slices of every sweep (default: from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX)',
    )
    .option('--shard-count <N>', SHARD_COUNT_HELP)
    .option('--plan', PLAN_HELP)
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'machine-readable progress events on stdout, and a final summary (with --plan: the plan as JSON)')
    .action(loadedAction(async () => (await import('./study-action.js')).studyAction));
}
