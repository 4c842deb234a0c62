// runStudy: the named studies on the models given, one sweep per (experiment, model) into one
// folder, then the findings, the figures (SVG and PNG) and one report. Resumable as a whole: a
// finished sweep of the same spec is read, not rerun; an interrupted one continues (--resume).
// Shardable: with a shard, every sweep runs that slice into its own shard file, and a later run
// without one merges each complete set of shard files before it reports.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { makeFolder } from '../io/folder.js';
import { loadModel } from '../model/load.js';
import type { Model, ModelInfo } from '../model/model.js';
import { writeAtomic } from '../results/files.js';
import { mergeResults, readResults, type Results, type StoredRunRecord } from '../results/index.js';
import { runSweep, type SweepProgress } from '../run/sweep.js';
import { specHash, type Shard } from '../spec/index.js';
import { expandStudies, StudyError, type Scale } from './catalog.js';
import { computeFindings, type Finding } from './findings.js';
import { drawFigures, type StudyFigure } from './figures.js';
import { planStudy, type StudySweep } from './plan.js';
import { posCounts } from './pos-counts.js';
import { writeStudyReport } from './report.js';

export interface StudyOptions {
  /** study names ('all', 'vanilla', …) */
  studies: readonly string[];
  /** a folder of study files to take the names from instead of the package's studies/ (edited copies) */
  studiesDir?: string;
  /** models as given: directories, repo ids, random:<preset or checkpoint> */
  models: readonly string[];
  /** 'paper' (App. B sizes, the default) or 'smoke' (minutes on a laptop) */
  scale?: Scale;
  outDir: string;
  device?: string;
  dtype?: string;
  seed?: number;
  /** false: skip each target's head bound (finding 6 then has no data) */
  bound?: boolean;
  resume?: boolean;
  overwrite?: boolean;
  shard?: Shard;
  signal?: AbortSignal;
}

export interface SweepOutcome {
  experiment: string;
  study: string;
  model: string;
  givenModel: string;
  output: string;
  status: 'run' | 'finished earlier' | 'merged' | 'skipped' | 'interrupted' | 'shard done';
  /** why a sweep was skipped */
  reason?: string;
  rows: number;
  /** rows per stop reason (patience, budget, …) */
  stopReasons: Record<string, number>;
  /** this run's wall time for the sweep (0 when it was read, merged or skipped) */
  wallMs: number;
}

export interface StudySummary {
  outDir: string;
  scale: Scale;
  sweeps: SweepOutcome[];
  findings: Finding[];
  figures: StudyFigure[];
  /** the report's path; absent for a shard run or an interrupted one */
  report?: string;
  interrupted: boolean;
  wallMs: number;
}

const shardFile = (output: string, i: number, n: number): string =>
  output.replace(/\.arrow$/, `.shard${i}of${n}.arrow`);

/** A complete set of shard files of one sweep beside its output (from `--shard i/N` runs), or null. */
async function shardSet(output: string): Promise<string[] | null> {
  const stem = basename(output, '.arrow');
  const names = existsSync(dirname(output)) ? await readdir(dirname(output)) : [];
  const counts = new Set(
    names
      .map(
        (n) => new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.shard\\d+of(\\d+)\\.arrow$`).exec(n)?.[1],
      )
      .filter((c): c is string => c !== undefined),
  );
  for (const c of counts) {
    const n = Number(c);
    const files = Array.from({ length: n }, (_, i) => shardFile(output, i, n));
    if (files.every((f) => existsSync(f))) return files;
  }
  return null;
}

function stopReasons(records: readonly StoredRunRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.stopReason] = (out[r.stopReason] ?? 0) + 1;
  return out;
}

export async function runStudy(
  options: StudyOptions,
  events: EventEmitter = new EventEmitter(),
): Promise<StudySummary> {
  const started = Date.now();
  const scale = options.scale ?? 'paper';
  const studies = expandStudies(options.studies, options.studiesDir);
  const sweeps = planStudy(studies, {
    scale,
    models: options.models,
    outDir: options.outDir,
    device: options.device,
    dtype: options.dtype,
    seed: options.seed,
    bound: options.bound,
  });
  await makeFolder(options.outDir);
  const log = (m: string) => events.emit('log', m);
  const models = new Map<string, Model>();
  // Identities of the models this folder's sweeps ran on, kept beside them so that a resumed
  // run's report names them without loading them again.
  const infoPath = join(options.outDir, 'models.json');
  const infos = new Map<string, ModelInfo>(
    existsSync(infoPath)
      ? Object.entries(JSON.parse(await readFile(infoPath, 'utf8')) as Record<string, ModelInfo>)
      : [],
  );
  const modelFor = async (s: StudySweep): Promise<Model> => {
    let m = models.get(s.model);
    if (!m) {
      log(`loading ${s.model} on ${s.spec.device}`);
      m = await loadModel(s.model, { device: s.spec.device, dtype: s.spec.dtype });
      models.set(s.model, m);
      infos.set(s.model, m.info);
      await writeAtomic(infoPath, new TextEncoder().encode(JSON.stringify(Object.fromEntries(infos), null, 2)));
    }
    return m;
  };

  const outcomes: SweepOutcome[] = [];
  const results = new Map<string, Results>();
  let interrupted = false;
  try {
    for (const [i, s] of sweeps.entries()) {
      const base = { experiment: s.experiment, study: s.study.name, model: s.model, givenModel: s.givenModel };
      const tag = `[${i + 1}/${sweeps.length}] ${s.experiment} on ${s.model}`;
      if (s.skipped) {
        log(`${tag}: skipped (${s.skipped})`);
        outcomes.push({
          ...base,
          output: s.spec.output,
          status: 'skipped',
          reason: s.skipped,
          rows: 0,
          stopReasons: {},
          wallMs: 0,
        });
        continue;
      }
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const spec = options.shard
        ? {
            ...s.spec,
            shard: options.shard,
            output: shardFile(s.spec.output, options.shard.index, options.shard.count),
          }
        : s.spec;
      if (!options.shard && !existsSync(spec.output) && !existsSync(`${spec.output}.partial`)) {
        const shards = await shardSet(spec.output);
        if (shards) {
          await mergeResults(shards, spec.output);
          const r = await readResults(spec.output);
          results.set(spec.output, r);
          log(`${tag}: merged ${shards.length} shard files`);
          outcomes.push({
            ...base,
            output: spec.output,
            status: 'merged',
            rows: r.records.length,
            stopReasons: stopReasons(r.records),
            wallMs: 0,
          });
          continue;
        }
      }
      if (existsSync(spec.output) && !options.overwrite) {
        if (!options.resume)
          throw new StudyError(
            `${spec.output} exists: add --resume to keep finished sweeps (and continue the rest), or --overwrite to run them again`,
          );
        const r = await readResults(spec.output);
        if (r.metadata.specHash === specHash(spec)) {
          results.set(spec.output, r);
          log(`${tag}: finished earlier (${r.records.length} rows)`);
          outcomes.push({
            ...base,
            output: spec.output,
            status: 'finished earlier',
            rows: r.records.length,
            stopReasons: stopReasons(r.records),
            wallMs: 0,
          });
          continue;
        }
        // A different spec: runSweep's resume check names the difference.
      }
      log(`${tag} → ${spec.output}`);
      const t0 = Date.now();
      const sweepEvents = new EventEmitter();
      sweepEvents.on('log', (m: string) => log(`${s.experiment}: ${m}`));
      sweepEvents.on('progress', (p: SweepProgress) =>
        events.emit('progress', {
          ...p,
          experiment: s.experiment,
          model: s.model,
          sweep: i + 1,
          sweeps: sweeps.length,
        }),
      );
      const summary = await runSweep(
        spec,
        {
          resume: options.resume,
          overwrite: options.overwrite,
          signal: options.signal,
          figures: false,
          model: await modelFor(s),
        },
        sweepEvents,
      );
      const wallMs = Date.now() - t0;
      if (summary.interrupted) {
        interrupted = true;
        outcomes.push({
          ...base,
          output: spec.output,
          status: 'interrupted',
          rows: summary.rowsRun + summary.rowsResumed,
          stopReasons: {},
          wallMs,
        });
        break;
      }
      if (!options.shard) results.set(spec.output, await readResults(spec.output));
      outcomes.push({
        ...base,
        output: spec.output,
        status: options.shard ? 'shard done' : 'run',
        rows: summary.records.length,
        stopReasons: stopReasons(summary.records),
        wallMs,
      });
    }
  } finally {
    for (const m of models.values()) m.dispose();
  }

  const summary: StudySummary = {
    outDir: options.outDir,
    scale,
    sweeps: outcomes,
    findings: [],
    figures: [],
    interrupted,
    wallMs: 0,
  };
  if (interrupted || options.shard) {
    summary.wallMs = Date.now() - started;
    if (options.shard && !interrupted)
      log(
        `shard ${options.shard.index}/${options.shard.count} done; once every shard is, run the same command without --shard to merge and report`,
      );
    return summary;
  }
  const ran = sweeps.filter((s) => results.has(s.spec.output));
  const experiments = ran.map((s) => ({
    experiment: s.experiment,
    study: s.study.name,
    model: s.model,
    records: results.get(s.spec.output)!.records,
  }));
  const skipped = sweeps
    .filter((s) => s.skipped)
    .map((s) => ({ experiment: s.experiment, study: s.study.name, model: s.givenModel, reason: s.skipped! }));
  summary.findings = computeFindings(experiments, skipped);
  log(`findings: ${summary.findings.map((f) => `#${f.id} ${f.verdict}`).join(', ')}`);
  const posVocabulary = new Map<string, Record<string, number>>();
  for (const s of ran.filter((x) => x.study.name === 'pos')) {
    const counts = await posCounts(s.model).catch((e: Error) => (log(`pos counts of ${s.model}: ${e.message}`), null));
    if (counts) posVocabulary.set(s.model, counts);
  }
  summary.figures = await drawFigures(
    ran.map((s) => ({ sweep: s, records: results.get(s.spec.output)!.records })),
    join(options.outDir, 'figures'),
    options.models.length > 1,
    posVocabulary,
  );
  summary.wallMs = Date.now() - started;
  summary.report = await writeStudyReport({
    summary,
    sweeps,
    results,
    models: infos,
    findings: summary.findings,
    figures: summary.figures,
  });
  log(`report: ${summary.report}`);
  return summary;
}
