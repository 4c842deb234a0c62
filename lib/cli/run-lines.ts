// A sweep's or study's log lines and warnings as the command line says them: a line said with
// options (its parts beside it) names them by this command's flags.
import type { EventEmitter } from 'node:events';
import type { Command } from 'commander';

import type { Said } from '../io/said.js';
import { commandLineSaid } from './flag-words.js';
import type { ProgressReporter } from './progress.js';

export function sayRunLines(events: EventEmitter, reporter: ProgressReporter, cmd: Command): void {
  const words = (m: string, parts?: Said) => (parts ? commandLineSaid(cmd, parts) : m);
  events.on('log', (m: string, parts?: Said) => reporter.log(words(m, parts)));
  events.on('warning', (m: string, parts?: Said) => reporter.warn(words(m, parts)));
}
