// The commands beyond `info`, each in its own file; registered here so program.ts stays short.
import type { Command } from 'commander';

import { registerSweep } from './sweep.js';
import { registerResultsCommands } from './results.js';
import { registerTargetsAndTune } from './targets-tune.js';
import { registerStudy } from './study.js';
import { registerBound } from './bound.js';

export function registerCommands(program: Command): void {
  registerSweep(program);
  registerResultsCommands(program);
  registerTargetsAndTune(program);
  registerStudy(program);
  registerBound(program);
}
