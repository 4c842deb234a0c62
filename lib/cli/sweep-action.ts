// What `distprompt sweep` runs (its flags are sweep.ts's): the spec from the flags over the
// --config file, then the sweep, or with --plan its estimate.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { EventEmitter } from 'node:events';
import type { Command } from 'commander';

import type { SweepProgress } from '../run/sweep.js';
import { QUICK_DEMO_SWEEP } from '../spec/defaults.js';
import { SpecError, specFromFlags, SWEEP_FLAGS, type SweepFlags, type SweepSpec } from '../spec/index.js';
import { EXIT, UsageError } from './exit.js';
import { refuseBothSpellings, refuseContradictions, shardText } from './flag-rules.js';
import { refuseIgnoredSettings } from './ignored-settings.js';
import { ProgressReporter, progressMode, sweepView } from './progress.js';
import { onInterrupt } from './interrupt.js';
import { sayRunLines } from './run-lines.js';
import { formatOfBytes } from '../io/bytes-format.js';
import { parseJsonText } from '../io/json-text.js';
import { counted } from '../io/counted.js';
import { errnoCode, fileError, MACHINE_FAULT_CODES, unreadableWhy } from '../io/fs-error.js';

/**
 * What `distprompt sweep` runs with no --config: the quick demo run (lib/spec/defaults.ts), the
 * study's defaults with a few overrides for a small machine. The study's full settings are one
 * --config away (docs/sweeps.md).
 */
export const DEFAULT_SWEEP = QUICK_DEMO_SWEEP;

export type SweepCliOptions = SweepFlags & {
  waitForLock?: boolean;
  config?: string;
  resume?: boolean;
  overwrite?: boolean;
  quiet?: boolean;
  json?: boolean;
  figures?: string | boolean;
  shardCount?: string;
  plan?: boolean;
  reuse?: string[];
};

function readConfig(path: string): unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = errnoCode(e);
    if (code && MACHINE_FAULT_CODES.has(code)) throw fileError(e, path);
    throw new UsageError(`--config ${path}: cannot read it (${unreadableWhy(e)})`);
  }
  refuseBinaryFile(path, bytes);
  let json: unknown;
  try {
    json = parseJsonText(bytes.toString('utf8'));
  } catch (e) {
    throw new UsageError(`--config ${path}: not valid JSON (${(e as Error).message})`);
  }
  refuseStudyFile(path, json);
  refuseTargetsFile(path, json);
  return json;
}

/**
 * The spec from the flags over the --config file, whose errors name the file: a field of it is
 * named by its path alone (`maxEpochs`), which did not say where to look.
 */
function specOf(flags: SweepFlags, fileJson: unknown, config: string | undefined): SweepSpec {
  try {
    return specFromFlags(flags, fileJson);
  } catch (e) {
    if (config === undefined || !(e instanceof SpecError)) throw e;
    throw new SpecError(e.issues, `${e.heading} (--config ${config})`);
  }
}

/** What a binary file given for the spec is, as its bytes say. */
const BINARY_KINDS = {
  arrow: 'an Arrow file (results or targets)',
  safetensors: 'a safetensors file (targets or weights)',
} as const;

/** A results, targets or weights file (or a journal) given for its spec: said so, rather than a JSON parser's 'Unexpected token'. */
function refuseBinaryFile(path: string, bytes: Buffer): void {
  const format = formatOfBytes(bytes);
  if (format !== 'arrow' && format !== 'safetensors') return;
  throw new UsageError(
    `--config ${path} is ${BINARY_KINDS[format]}, not a sweep spec (JSON): give the spec's JSON file (a targets file goes in one of its target entries: {"kind": "file", "path": ${JSON.stringify(path)}})`,
  );
}

/** A JSON targets file (what `distprompt targets -o` writes: `{ vocabSize, meta, targets }`, or bare rows) given as the spec. */
function refuseTargetsFile(path: string, json: unknown): void {
  const rows = Array.isArray(json) ? json : (json as { targets?: unknown } | null)?.targets;
  const targetsFile =
    Array.isArray(rows) &&
    Array.isArray(rows[0]) &&
    (Array.isArray(json) || Object.hasOwn(json as object, 'vocabSize') || Object.hasOwn(json as object, 'meta'));
  if (!targetsFile) return;
  throw new UsageError(
    `--config ${path} is a targets file, not a sweep spec: name it in one of a spec's target entries: {"kind": "file", "path": ${JSON.stringify(path)}}`,
  );
}

/**
 * A study file (studies/*.json, which README offers as a starting point) holds a sweep spec per
 * scale, not one spec: said so, rather than 'Unrecognized keys: "describes", … "paper", "smoke"'.
 */
function refuseStudyFile(path: string, json: unknown): void {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return;
  const scales = ['paper', 'smoke'].filter((k) => Object.hasOwn(json, k));
  if (scales.length === 0 && !Object.hasOwn(json, 'includes')) return;
  const name = basename(path, '.json');
  throw new UsageError(
    `--config ${path} is a study file (a sweep spec per scale${scales.length ? `: ${scales.map((k) => `'${k}'`).join(', ')}` : ''}), not a sweep spec: run it with 'distprompt study ${name}' (add --studies <folder> for an edited copy), or copy one scale's object into a file of its own for --config`,
  );
}

export async function sweepAction(o: SweepCliOptions, cmd: Command): Promise<void> {
  refuseContradictions(o);
  refuseBothSpellings(process.argv.slice(2), ['--figures', '--cuda-graph']);
  // An unset shell variable: else runSweep's own option check, as if a bug (exit 1).
  if (o.figures === '')
    throw new UsageError('--figures is an empty path: give a folder (--figures <dir>), or --no-figures for none');
  if (o.reuse?.includes(''))
    throw new UsageError('--reuse names an empty path: give each finished results file (.arrow) it takes rows from');
  // The parser takes the word after --reuse as its file whatever it is: a flag put there by
  // mistake is named as one, not read as a missing file.
  const flag = o.reuse?.find((p) => p.startsWith('-') && !existsSync(p));
  if (flag !== undefined)
    throw new UsageError(
      `--reuse ${flag}: ${flag} is not a file but reads as a flag; put --reuse after the other flags, followed by its results files (.arrow)`,
    );
  const fileJson = o.config ? readConfig(o.config) : DEFAULT_SWEEP;
  // The spec's flags only: commander's options hold the command's own too (--config, --plan, --json).
  const given = { ...o, shard: shardText(o) };
  const flags = Object.fromEntries(Object.entries(given).filter(([k]) => k in SWEEP_FLAGS)) as SweepFlags;
  const spec: SweepSpec = specOf(flags, fileJson, o.config);
  // A device worker's --config is its parent's whole spec, defaults written out: what a user
  // gave was refused in the parent (lib/run/devices.ts starts workers with this variable).
  const worker = process.env.DISTPROMPT_ERRORS_AS_EVENTS === '1';
  const file =
    o.config !== undefined && !worker ? { path: o.config, json: fileJson as Record<string, unknown> } : undefined;
  refuseIgnoredSettings(spec, cmd, file);
  if (o.plan) {
    // The run this command would start: with --resume only what is left, merged shards cost
    // nothing, and an output the run would refuse is refused here too.
    // Its calibration takes seconds to minutes: Ctrl-C stops it, saying so (a plan cut short
    // would price the sweep from part of its samples, so none is printed).
    const interrupt = onInterrupt(
      new ProgressReporter(progressMode(o)),
      'interrupted: the plan stops with its calibration; nothing was written',
    );
    try {
      // The run's library, loaded once the flags are found good: a usage error does without it.
      const [{ keptAtStart }, { estimateSweep }, { sweepEstimateLines }] = await Promise.all([
        import('../run/kept.js'),
        import('../run/estimate.js'),
        import('../run/estimate-report.js'),
      ]);
      const kept = await keptAtStart(spec, { resume: o.resume, overwrite: o.overwrite });
      const e = await estimateSweep(spec, { reuse: o.reuse, signal: interrupt.signal, ...(kept ? { kept } : {}) });
      process.stdout.write(o.json ? `${JSON.stringify(e)}\n` : `${sweepEstimateLines(e).join('\n')}\n`);
    } catch (e) {
      if (!interrupt.signal.aborted) throw e;
      process.exitCode = EXIT.interrupted;
    } finally {
      interrupt.release();
    }
    return;
  }
  const reporter = new ProgressReporter(progressMode(o));
  const interrupt = onInterrupt(reporter);
  const events = new EventEmitter();
  sayRunLines(events, reporter, cmd);
  events.on('progress', (p: SweepProgress) => reporter.update(sweepView(p, p.method)));
  const figures = o.figures === false ? false : typeof o.figures === 'string' ? o.figures : undefined;
  // Once every row is done the run writes its file and figures whatever comes (exit 0): an
  // interrupt then says so, not that it stops.
  events.on('finishing', (out: string) =>
    interrupt.say(
      `interrupted: every row was done, so ${out}${figures === false ? ' is' : ' and its figures are'} finished all the same; nothing is left to resume`,
    ),
  );
  reporter.log(
    `sweep of ${spec.model} on ${spec.device} → ${spec.output}${spec.shard ? ` (shard ${spec.shard.index}/${spec.shard.count})` : ''}`,
  );
  const { runSweep } = await import('../run/sweep.js');
  const summary = await runSweep(
    spec,
    {
      resume: o.resume,
      overwrite: o.overwrite,
      waitForLock: o.waitForLock,
      signal: interrupt.signal,
      figures,
      reuse: o.reuse,
    },
    events,
  );
  interrupt.release();
  reporter.done();
  if (summary.interrupted) {
    reporter.tell(
      summary.rowsRun + summary.rowsResumed + summary.rowsShared === 0
        ? 'interrupted before the first row finished; nothing was kept — rerun the same command'
        : summary.start === 'devices'
          ? `interrupted; the workers kept ${summary.rowsRun + summary.rowsResumed} finished rows in the shard files beside ${summary.output} — rerun with --resume`
          : summary.keptIn === summary.output
            ? `interrupted before the resume changed any file; ${summary.output} is unchanged and holds its ${counted(summary.rowsResumed, 'row')} — rerun with --resume to continue`
            : summary.rowsRun === 0 && summary.rowsResumed > 0
              ? `interrupted before a new row finished; ${summary.output}.partial keeps the ${counted(summary.rowsResumed, 'row')} it had — rerun with --resume`
              : `interrupted after ${summary.rowsRun} new rows; they are kept in ${summary.output}.partial — rerun with --resume`,
    );
    process.exitCode = EXIT.interrupted;
    return;
  }
  const taken = summary.rowsShared ? `, ${summary.rowsShared} taken from earlier sweeps` : '';
  reporter.log(`${counted(summary.rows, 'row')} in ${summary.output} (${summary.rowsResumed} resumed${taken})`);
  for (const f of summary.figures) reporter.log(`figure ${f.paperFigure}: ${f.path}`);
  if (o.json)
    process.stdout.write(
      `${JSON.stringify({ event: 'done', output: summary.output, rows: summary.rows, rowsResumed: summary.rowsResumed, rowsShared: summary.rowsShared, figures: summary.figures.map((f) => f.path) })}\n`,
    );
}
