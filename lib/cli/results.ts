// `plot`, `report` and `merge`: work on results files, no model needed. What each calls is loaded
// when it runs, and runs in a phase of its own: a signal ends it saying what was written (startup.ts).
import { statSync } from 'node:fs';

import type { Command } from 'commander';

import { UsageError } from './exit.js';
import { counted } from '../io/counted.js';
import { during, loadedAction } from './startup.js';

/**
 * What a signal says while `path` is written (`rest` after it): whether the new file is in place
 * yet, which its rename tells, giving the name another inode.
 */
function writing(path: string, rest = ''): () => string {
  const inode = () => {
    try {
      return statSync(path, { throwIfNoEntry: false })?.ino;
    } catch {
      return undefined; // not there to stat (a folder missing): the command refuses it
    }
  };
  const before = inode();
  return () =>
    inode() === before ? `interrupted: ${path} was not written${rest}` : `interrupted after ${path} was written${rest}`;
}

export function registerResultsCommands(program: Command): void {
  program
    .command('plot')
    .description(
      "draw the study's figures (SVG) from one or more results files (a series per model, or per sweep where one model has several)",
    )
    .argument('<results...>', 'Arrow results files')
    .option('-o, --output <dir>', 'output folder', 'figures')
    .action(
      loadedAction(async () => {
        const { plotAll } = await import('../plot/index.js');
        return async (files: string[], o: { output: string }) => {
          const written = await during(
            `interrupted while drawing the figures in ${o.output}; those written are whole, the rest are not drawn: rerun the same command`,
            () => plotAll(files.length === 1 ? files[0] : files, o.output),
          );
          if (written.length === 0) throw new UsageError('these results support none of the figures (too few rows?)');
          for (const f of written) console.log(`${f.paperFigure}\t${f.path}`);
        };
      }),
    );
  program
    .command('report')
    .description('one self-contained HTML file with the figures and a summary table')
    .argument('<results...>', 'Arrow results files')
    .option('-o, --output <file>', 'output HTML file', 'report.html')
    .action(
      loadedAction(async () => {
        const { report } = await import('../plot/index.js');
        return async (files: string[], o: { output: string }) => {
          console.log(await during(writing(o.output), () => report(files.length === 1 ? files[0] : files, o.output)));
        };
      }),
    );
  program
    .command('merge')
    .description('join shard files of one sweep into one results file, checking they cover it exactly once')
    .argument('<shards...>', 'shard results files')
    .requiredOption('-o, --output <file>', 'merged results file')
    .option('--overwrite', 'replace an existing merged results file')
    .option(
      '--json',
      'print what was merged as JSON ({ out, rows, missing }: missing is empty, as a merge lacking a row is refused)',
    )
    .action(
      loadedAction(async () => {
        const { mergeResults } = await import('../run/merge.js');
        return async (files: string[], o: { output: string; overwrite?: boolean; json?: boolean }) => {
          const r = await during(writing(o.output, '; the shards are unchanged'), () =>
            mergeResults(files, o.output, { overwrite: o.overwrite }),
          );
          console.log(
            o.json
              ? JSON.stringify(r)
              : `${r.out}: ${counted(r.rows, 'row')} merged from ${counted(files.length, 'file')}`,
          );
        };
      }),
    );
}
