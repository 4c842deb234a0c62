// `distprompt bound`: the head bound of a few targets without a sweep — the lowest KL any
// prompt can reach on this model, and the softmax bottleneck's value without the final norm. Its
// flags; what it runs is bound-action.ts, loaded when it runs.
import type { Command } from 'commander';

import { BOUND_DEFAULTS } from '../bound/defaults.js';
import { withDefault } from '../spec/defaults.js';
import { loadedAction } from './startup.js';
import { targetOptions } from './targets-tune.js';

export function registerBound(program: Command): void {
  targetOptions(
    program
      .command('bound')
      .description("each target's head bound: the lowest KL(target || model) any prompt can reach"),
  )
    .option('--targets <file>', "a targets file from 'distprompt targets' (instead of --kind/--entropy)")
    .option(
      '--tol <nats>',
      withDefault(
        "stop when the bound's certificate (Frank–Wolfe gap) is below this",
        BOUND_DEFAULTS.tolNats.toExponential(),
      ),
    )
    .option('--dtype <dtype>', withDefault("the solver's arithmetic: float64 or float32", BOUND_DEFAULTS.dtype))
    .option('--point', 'with --json: include the optimal hidden state and the distribution it gives')
    .option('--json', 'print one JSON record per target')
    .action(loadedAction(async () => (await import('./bound-action.js')).boundAction));
}
