// What `distprompt study` runs (its flags are study.ts's). `--list` prints the studies.
// `--devices` runs one shard per device in a worker process, then merges and reports here.
import { existsSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import type { Command } from 'commander';

import type { StudySweepProgress } from '../run/sweep-progress.js';
import { ShardSpec } from '../spec/schema.js';
import type { NativeDtype } from '../native/types-model.js';
import { readStudy, SCALES, StudyError, studyNames, type Scale } from '../study/catalog.js';
import type { Verdict } from '../study/findings.js';
import type { StudySummary } from '../run/study.js';
import { EXIT, UsageError } from './exit.js';
import { ProgressReporter, progressMode, sweepView } from './progress.js';
import { onInterrupt } from './interrupt.js';
import { sayRunLines } from './run-lines.js';
import { refuseContradictions, shardText } from './flag-rules.js';
import { checkStudyFlags } from './study-flags.js';
import { counted } from '../io/counted.js';
import { saidOf } from '../io/said.js';

export interface StudyCliOptions {
  list?: boolean;
  studies?: string;
  model?: string;
  scale?: string;
  device?: string;
  devices?: string;
  dtype?: string;
  seed?: string;
  bound?: boolean;
  output?: string;
  resume?: boolean;
  overwrite?: boolean;
  waitForLock?: boolean;
  shard?: string;
  shardCount?: string;
  quiet?: boolean;
  json?: boolean;
  plan?: boolean;
}

const list = (s: string | undefined): string[] =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * Prints every study, or the ones `names` names (an unknown one is refused by readStudy, naming
 * those there are); a broken file is named after the others are listed (exit 2).
 */
function printList(dir?: string, names?: string): void {
  const broken: string[] = [];
  const asked = list(names);
  for (const name of asked.length > 0 ? asked : studyNames(dir)) {
    let s;
    try {
      s = readStudy(name, dir);
    } catch (e) {
      if (!(e instanceof StudyError)) throw e;
      broken.push(e.message);
      continue;
    }
    process.stdout.write(`${name.padEnd(14)} ${s.describes}\n`);
  }
  if (broken.length > 0) throw new UsageError(broken.join('\n'));
}

/** How many findings came to each verdict, in words: '3 hold, 1 does not hold, 2 not enough data'. */
export function verdictCounts(findings: readonly { verdict: Verdict }[]): string {
  const counts = new Map<Verdict, number>();
  for (const f of findings) counts.set(f.verdict, (counts.get(f.verdict) ?? 0) + 1);
  const plural: Partial<Record<Verdict, string>> = { holds: 'hold', 'does not hold': 'do not hold' };
  return [...counts].map(([v, n]) => `${n} ${n === 1 ? v : (plural[v] ?? v)}`).join(', ') || 'none';
}

export async function studyAction(names: string | undefined, o: StudyCliOptions, cmd: Command): Promise<void> {
  if (o.studies !== undefined && !existsSync(o.studies)) throw new UsageError(`--studies ${o.studies}: no such folder`);
  if (o.list) return printList(o.studies, names);
  refuseContradictions(o);
  if (!names) throw new UsageError(`name a study (${studyNames(o.studies).join(', ')}), or --list`);
  const models = list(o.model);
  if (models.length === 0)
    throw new UsageError('give the model(s) to study: -m <model>[,<model>…] (e.g. -m random:demo)');
  checkStudyFlags(o, models);
  const dtype = o.dtype as NativeDtype | undefined; // one of DTYPES: checkStudyFlags refused any other
  if (!SCALES.includes(o.scale as Scale))
    throw new UsageError(`--scale must be ${SCALES.join(' or ')}, got '${o.scale}'`);
  let shard: { index: number; count: number } | undefined;
  const text = shardText(o);
  if (text !== undefined) {
    const r = ShardSpec.safeParse(text);
    if (!r.success || r.data.index >= r.data.count)
      throw new UsageError(`--shard ${text}: expected 'i/N' with 0 <= i < N (e.g. '0/3')`);
    shard = r.data;
  }
  let seed: number | undefined;
  if (o.seed !== undefined) {
    seed = Number(o.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be an integer >= 0, got '${o.seed}'`);
  }
  const out = o.output ?? `study-${list(names).join('-')}`;
  if (o.plan) {
    // A plan of many sweeps on a big model takes minutes: Ctrl-C (or SIGTERM) prints the
    // sweeps planned so far, and --json gives each as it is made (a killed run keeps those).
    const interrupt = onInterrupt(
      new ProgressReporter(progressMode(o)),
      'interrupted: the plan so far follows; the sweep being calibrated and those after it are not planned',
    );
    try {
      // The run's library, loaded once the flags are found good: a usage error does without it.
      const [{ estimateStudy }, { studyEstimateLines }] = await Promise.all([
        import('../run/estimate-study.js'),
        import('../run/estimate-report.js'),
      ]);
      const e = await estimateStudy({
        studies: list(names),
        studiesDir: o.studies,
        models,
        scale: o.scale as Scale,
        device: o.device,
        dtype,
        seed,
        bound: o.bound,
        outDir: out,
        resume: o.resume,
        overwrite: o.overwrite,
        devices: o.devices === undefined ? undefined : list(o.devices),
        shard,
        signal: interrupt.signal,
        onSweep: o.json || o.quiet ? undefined : (what) => process.stderr.write(`calibrating ${what}\n`),
        onEstimate: o.json
          ? (sweep) => process.stdout.write(`${JSON.stringify({ event: 'planned', ...sweep })}\n`)
          : undefined,
      }).catch((e: unknown) => {
        throw e instanceof StudyError ? new UsageError(saidOf(e)) : e;
      });
      process.stdout.write(o.json ? `${JSON.stringify(e)}\n` : `${studyEstimateLines(e).join('\n')}\n`);
      if (e.notPlanned.length) process.exitCode = EXIT.interrupted;
    } finally {
      interrupt.release();
    }
    return;
  }
  const reporter = new ProgressReporter(progressMode(o));
  const interrupt = onInterrupt(reporter);
  try {
    const events = new EventEmitter();
    sayRunLines(events, reporter, cmd);
    // The line shows the sweep's place ('[2/13] methods hard:k=1'); device workers' progress comes combined.
    events.on('progress', (p: StudySweepProgress) => reporter.update(sweepView(p, p.method)));
    const { runStudy } = await import('../run/study.js');
    let summary: StudySummary;
    try {
      summary = await runStudy(
        {
          studies: list(names),
          studiesDir: o.studies,
          models,
          scale: o.scale as Scale,
          outDir: out,
          device: o.device,
          devices: list(o.devices),
          dtype,
          seed,
          bound: o.bound,
          resume: o.resume,
          overwrite: o.overwrite,
          waitForLock: o.waitForLock,
          shard,
          signal: interrupt.signal,
        },
        events,
      );
    } catch (e) {
      if (e instanceof StudyError) throw new UsageError(saidOf(e));
      throw e;
    }
    reporter.done();
    if (summary.interrupted) {
      reporter.tell(
        summary.left === 'report'
          ? 'interrupted after every sweep was finished: the findings, figures and report are not written — rerun with --resume to write them (no row runs again)'
          : summary.left === 'everything'
            ? `interrupted while waiting for ${summary.outDir}: nothing was run — run the command again once the other study has finished`
            : 'interrupted; finished rows and sweeps are kept — rerun with --resume',
      );
      process.exitCode = EXIT.interrupted;
      return;
    }
    reporter.log(
      `${counted(summary.sweeps.length, 'sweep')} in ${(summary.wallMs / 1000).toFixed(1)} s; findings: ${verdictCounts(summary.findings)}`,
    );
    if (o.json) {
      process.stdout.write(
        `${JSON.stringify({ event: 'done', outDir: summary.outDir, report: summary.report ?? null, wallMs: summary.wallMs, sweeps: summary.sweeps, findings: summary.findings })}\n`,
      );
    }
  } finally {
    interrupt.release();
  }
}
