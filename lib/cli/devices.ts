// `sweep --devices cuda:0,cuda:1,…`: one worker process per device on this machine, each running
// the shard i/N of the same spec on its device; the parent merges the shard files (which checks
// they cover the sweep exactly once) and draws the figures. Workers are processes, not threads:
// each owns its device and its memory, and a crash in one is reported, not shared.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { plotAll } from '../plot/index.js';
import { mergeResults } from '../results/index.js';
import type { SweepSpec } from '../spec/index.js';
import type { ProgressReporter } from './progress.js';
import { workersFailed } from './flag-rules.js';

/**
 * One worker process running this CLI with `args` for device `i`; resolves to its exit code. An
 * abort interrupts it (SIGINT), so it keeps its finished rows for --resume.
 */
export function runWorker(
  args: string[],
  i: number,
  device: string,
  reporter: ProgressReporter,
  signal: AbortSignal,
): Promise<number> {
  return new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [process.argv[1], ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    const stop = () => child.kill('SIGINT');
    signal.addEventListener('abort', stop, { once: true });
    child.on('exit', (code) => {
      signal.removeEventListener('abort', stop);
      reporter.log(`worker ${i} (${device}) finished with exit ${code}`);
      resolve(code ?? 1);
    });
  });
}

export async function sweepOnDevices(
  spec: SweepSpec,
  argv: string[],
  reporter: ProgressReporter,
  signal: AbortSignal,
  figures: string | false | undefined,
  overwrite = false,
): Promise<'done' | 'interrupted'> {
  const devices = spec.devices!;
  const n = devices.length;
  const shardFile = (i: number) => `${spec.output}.device${i}.arrow`;
  // The parent's own flags minus those the workers get their own values for.
  const drop = new Set(['--devices', '--device', '--shard', '-o', '--output', '--figures']);
  const base: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (drop.has(argv[i])) i++;
    else if (argv[i] !== '--json' && argv[i] !== '--no-figures' && argv[i] !== '-q' && argv[i] !== '--quiet')
      base.push(argv[i]);
  }
  reporter.log(`${n} workers, one per device: ${devices.join(', ')}`);
  const codes = await Promise.all(
    devices.map((device, i) =>
      runWorker(
        ['sweep', ...base, '--device', device, '--shard', `${i}/${n}`, '-o', shardFile(i), '--no-figures', '--quiet'],
        i,
        device,
        reporter,
        signal,
      ),
    ),
  );
  if (codes.some((c) => c === 130)) return 'interrupted';
  const failure = workersFailed(codes, devices);
  if (failure) throw failure;
  const report = await mergeResults(
    devices.map((_, i) => shardFile(i)),
    spec.output,
    { overwrite },
  );
  await Promise.all(devices.map((_, i) => rm(shardFile(i), { force: true })));
  reporter.log(`merged ${n} device shards into ${spec.output} (${JSON.stringify(report).slice(0, 120)})`);
  if (figures !== false) {
    for (const f of await plotAll(spec.output, figures ?? join(dirname(spec.output), 'figures')))
      reporter.log(`figure ${f.paperFigure}: ${f.path}`);
  }
  return 'done';
}
