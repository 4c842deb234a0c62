// What `distprompt bound` runs (its flags are bound.ts's). Solved a group at a time (the groups a
// sweep solves them in: the same bits), each group's lines printed as it ends: a bound of thousands
// of targets on a big head shows its first lines in seconds, and Ctrl-C stops the group under way,
// keeping the lines printed.
import type { Command } from 'commander';

import { autoBoundBatch, boundGroupOf, headBound, type HeadBoundRecord } from '../bound/index.js';
import { boundOptionIssues, boundOptionsError } from '../bound/options.js';
import { commandModel } from './command-model.js';
import { EXIT, UsageError } from './exit.js';
import { onInterrupt } from './interrupt.js';
import { ProgressReporter } from './progress.js';
import { numberFlag, checkTargetFlags, type TargetFlags } from './target-flags.js';
import { cliTargets } from './targets-tune-action.js';

export type BoundFlags = TargetFlags & {
  targets?: string;
  json?: boolean;
  dtype?: string;
  tol?: string;
  point?: boolean;
};

export async function boundAction(o: BoundFlags, cmd: Command): Promise<void> {
  await checkTargetFlags(o, cmd);
  if (o.point && !o.json) throw new UsageError('--point prints with --json only: add --json, or drop --point');
  const tol = numberFlag(o.tol, '--tol');
  const settings = {
    ...(tol !== undefined ? { tolNats: tol } : {}),
    ...(o.dtype !== undefined ? { dtype: o.dtype as 'float64' } : {}),
  };
  // A bad --tol or --dtype is refused before the model loads (minutes for a big one).
  const issues = boundOptionIssues(settings);
  if (issues.length > 0) throw boundOptionsError(issues);
  const model = await commandModel(o.model, { device: o.device });
  try {
    const { targets, ids } = await cliTargets(o, model);
    const print = (r: HeadBoundRecord) => {
      if (o.json) {
        const { point, distribution, ...rest } = r;
        console.log(
          JSON.stringify({
            ...rest,
            ...(point ? { point: Array.from(point), distribution: Array.from(distribution!) } : {}),
          }),
        );
      } else {
        const sphere = r.sphereBoundNats === null ? '' : `\tsphere ${r.sphereBoundNats.toFixed(5)}`;
        const bottleneck =
          r.bottleneckStatus === null
            ? ''
            : r.bottleneckBoundNats === null
              ? '\tbottleneck not converged (no bound)'
              : `\tbottleneck ${r.bottleneckBoundNats.toFixed(5)}${r.bottleneckStatus === 'limit' ? ' (limit as |s| grows)' : ''}`;
        console.log(
          `${r.targetId}\t${r.targetEntropyBits.toFixed(3)} bits\tball bound ${r.headBoundNats.toFixed(5)} nats ± ${r.gapNats.toExponential(1)}${sphere}${bottleneck}`,
        );
      }
    };
    const V = model.info.vocabSize;
    const batch = autoBoundBatch(model.info.device);
    const reporter = new ProgressReporter('lines');
    const interrupt = onInterrupt(
      reporter,
      'interrupted: stopping the group of targets under way; the bounds printed are kept',
    );
    let printed = 0;
    try {
      for (let start = 0; start < ids.length && !interrupt.signal.aborted; start += batch) {
        const end = Math.min(ids.length, start + batch);
        let records: HeadBoundRecord[];
        try {
          records = await headBound(model, targets.subarray(start * V, end * V), {
            targetIds: ids.slice(start, end),
            groups: new Array<number>(end - start).fill(boundGroupOf(start, batch)),
            signal: interrupt.signal,
            ...settings,
            returnPoint: Boolean(o.point),
          });
        } catch (e) {
          if (interrupt.signal.aborted) break;
          throw e;
        }
        // Each call numbers its targets from 0: the index is the one in the whole set.
        for (const r of records) print({ ...r, targetIndex: r.targetIndex + start });
        printed += records.length;
      }
    } finally {
      interrupt.release();
    }
    // A signal after the last group was bounded leaves nothing unbounded (exit 0).
    if (interrupt.signal.aborted && printed < ids.length) {
      reporter.log(`interrupted: ${printed} of ${ids.length} targets bounded (printed above)`);
      process.exitCode = EXIT.interrupted;
    }
  } finally {
    model.dispose();
  }
}
