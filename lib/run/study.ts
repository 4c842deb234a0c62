// runStudy: the named studies on the models given, one sweep per (experiment, model) into one
// folder, then the findings, the figures (SVG and PNG) and one report. Resumable as a whole: a
// finished sweep of the same spec is read, not rerun; an interrupted one continues (--resume).
// Shardable: with a shard, every sweep runs that slice into its own shard file, and a later run
// without one merges each complete set of shard files before it reports (each sweep's start is
// runSweep's one decision, lib/run/start.ts). With devices, one worker per device runs a shard
// of every sweep first, and this run merges and reports.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { makeOutputFolder } from '../io/folder.js';
import { said, type Said } from '../io/said.js';
import type { ModelInfo } from '../model/model.js';
import { writeAtomic } from '../results/files.js';
import { readResults, type Results, type StoredRunRecord } from '../results/index.js';
import { specHash, type Shard } from '../spec/index.js';
import { refuseUnknownKeys } from '../spec/fields.js';
import type { NativeDtype } from '../native/types-model.js';
import { expandStudies, StudyError, type Scale } from '../study/catalog.js';
import { computeFindings } from '../study/findings.js';
import { drawFigures } from '../study/figures.js';
import { planStudy } from '../study/plan.js';
import { TargetStore } from '../targets/index.js';
import { posCounts } from '../study/pos-counts.js';
import { writeStudyReport } from '../study/report.js';
import type { StudySummary, SweepOutcome } from '../study/summary.js';
import { runOnDevices } from './devices.js';
import { refuseUnfitSweeps } from './fit.js';
import { shareFinished } from './shared-rows.js';
import { StudyModels } from './study-models.js';
import { checkStudyNames } from './study-names.js';
import { STUDY_WORDS, studyDevice, studySweepRefusal } from './study-refusals.js';
import { refuseOtherShardCounts, removeMergedShards, removeShards, shardFiles, shardSpec } from './shards.js';
import { LOCK_RENEW_MS, lockOutput, refuseStudiesBeside, studyLock } from './lock.js';
import { sweepStart, type SweepStart } from './start.js';
import { keptRows } from './kept.js';
import { runSweepSaying, type SweepProgress } from './sweep.js';
import { ArgumentError } from '../io/argument-error.js';

export type { StudySummary, SweepOutcome };

export interface StudyOptions {
  /** study names ('all', 'vanilla', …) */
  studies: readonly string[];
  /** a folder of study files to take the names from instead of the package's studies/ (edited copies) */
  studiesDir?: string | undefined;
  /** models as given: directories, repo ids, random:<preset or checkpoint> */
  models: readonly string[];
  /** 'paper' (App. B sizes, the default) or 'smoke' (minutes on a laptop) */
  scale?: Scale | undefined;
  outDir: string;
  device?: string | undefined;
  dtype?: NativeDtype | undefined;
  seed?: number | undefined;
  /** false: skip each target's head bound (finding 6 then has no data) */
  bound?: boolean | undefined;
  resume?: boolean | undefined;
  overwrite?: boolean | undefined;
  /** the study waits for another study's lock on its folder, and each sweep for another run's on its output, instead of refusing (runSweep's waitForLock) */
  waitForLock?: boolean | undefined;
  shard?: Shard | undefined;
  /** one worker per device, each running a shard of every sweep; this run then merges and reports */
  devices?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
}

function stopReasons(records: readonly StoredRunRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.stopReason] = (out[r.stopReason] ?? 0) + 1;
  return out;
}

/** The CLI arguments of device worker `shard` on `device`: the same study, one shard of every sweep. */
function workerArgs(options: StudyOptions, scale: Scale, device: string, shard: string): string[] {
  return [
    'study',
    options.studies.join(','),
    ...(options.studiesDir ? ['--studies', options.studiesDir] : []),
    '-m',
    options.models.join(','),
    '--scale',
    scale,
    '-o',
    options.outDir,
    '--device',
    device,
    '--shard',
    shard,
    // Their events, read back by runOnDevices: each worker's logs and warnings under its name,
    // their progress as one.
    '--json',
    ...(options.dtype ? ['--dtype', options.dtype] : []),
    ...(options.seed ? ['--seed', String(options.seed)] : []),
    ...(options.bound === false ? ['--no-bound'] : []),
    ...(options.resume ? ['--resume'] : []),
    ...(options.overwrite ? ['--overwrite'] : []),
    ...(options.waitForLock ? ['--wait-for-lock'] : []),
  ];
}

/** models.json as a study run wrote it; a damaged one (a hand edit) is named, not a bare SyntaxError. */
async function readInfos(path: string): Promise<Record<string, ModelInfo>> {
  const text = await readFile(path, 'utf8');
  const redo = 'delete it and rerun (its report then names only the models the rerun loads)';
  let infos: unknown;
  try {
    infos = JSON.parse(text) as unknown;
  } catch {
    infos = undefined;
  }
  if (!infos || typeof infos !== 'object' || Array.isArray(infos))
    throw new StudyError(`${path} is not the models file a study run writes (an object of model identities): ${redo}`);
  // The fields the report reads of each: one edited by hand would fail there, after every sweep.
  for (const [name, info] of Object.entries(infos)) {
    const isObject = typeof info === 'object' && info !== null && !Array.isArray(info);
    const bad =
      isObject && Object.entries(INFO_FIELDS).find(([f, type]) => typeof (info as Record<string, unknown>)[f] !== type);
    if (!isObject || bad)
      throw new StudyError(
        `${path}: the entry of model '${name}' ${bad ? `has no ${bad[1]} '${bad[0]}'` : 'is not an object'}, as a study run writes it: ${redo}`,
      );
  }
  return infos as Record<string, ModelInfo>;
}

/** What the report reads of a model's entry in the models file, with its type. */
const INFO_FIELDS = {
  family: 'string',
  parameters: 'number',
  vocabSize: 'number',
  dtype: 'string',
  device: 'string',
  identity: 'string',
} as const;

/** StudyOptions' fields, as the compiler checks them against the interface. */
const STUDY_OPTIONS: Record<keyof StudyOptions, true> = {
  studies: true,
  studiesDir: true,
  models: true,
  scale: true,
  outDir: true,
  device: true,
  dtype: true,
  seed: true,
  bound: true,
  resume: true,
  overwrite: true,
  waitForLock: true,
  shard: true,
  devices: true,
  signal: true,
};

export async function runStudy(given: StudyOptions, events: EventEmitter = new EventEmitter()): Promise<StudySummary> {
  // A misspelt `scale` would run the paper's sizes for hours: refused, not dropped.
  refuseUnknownKeys('runStudy', given, STUDY_OPTIONS, (m) => new ArgumentError(m));
  const started = Date.now();
  const scale = given.scale ?? 'paper';
  const devices = given.devices ?? [];
  const onDevices = devices.length > 1 && !given.shard;
  const device = studyDevice(given);
  // After device workers, this run only merges their shards and reports.
  const options = onDevices
    ? { ...given, device: devices[0], resume: true, overwrite: false }
    : { ...given, ...(device === undefined ? {} : { device }) };
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
  checkStudyNames(sweeps, onDevices ? devices.length : (options.shard?.count ?? 1));
  await makeOutputFolder(options.outDir);
  // One study per folder for its whole life (studyLock): a second study of the same folder is
  // refused at once (or waits, with waitForLock), rather than taking the next sweep and stopping
  // the first halfway.
  const { path: lockAt, what } = studyLock(options.outDir, options.shard);
  const wait = options.waitForLock
    ? { signal: options.signal, onWait: (m: string) => events.emit('log', m) }
    : undefined;
  // Ctrl-C while waiting for another study: nothing was started.
  const stopped = () => ({ ...stoppedBeforeSweeps(options.outDir, scale, 0), left: 'everything' as const });
  const orStopped = <T>(waiting: Promise<T>) =>
    waiting.catch((e: Error) => {
      if (options.signal?.aborted && e.name === 'AbortError') return null;
      throw e;
    });
  const lock = await orStopped(lockOutput(options.outDir, what, LOCK_RENEW_MS, wait, lockAt));
  if (!lock) return stopped();
  if (lock.tookOver) events.emit('log', lock.tookOver);
  try {
    // A merging study and a shard of the folder hold different locks: each refuses the other here.
    if ((await orStopped(refuseStudiesBeside(options.outDir, options.shard, wait).then(() => true))) === null)
      return stopped();
    // A lock taken over by another run stops this one as Ctrl-C would (its sweeps kept), and says why.
    const signal = options.signal ? AbortSignal.any([options.signal, lock.lost]) : lock.lost;
    const summary = await studyLocked(
      given,
      { ...options, signal },
      { started, scale, devices, onDevices, sweeps },
      events,
    );
    if (lock.lost.aborted) throw lock.lost.reason;
    return summary;
  } finally {
    await lock.release();
  }
}

/**
 * How a run of the whole of sweep `s` (not a shard of it) would start over its merged file, read
 * only: refused in the study's words where that run would be. A resume over a merged file of
 * another spec (an edited study) is refused here, as that run's resume refuses it (keptRows), and
 * as the plan does, rather than after a shard has run rows that no merge would take.
 */
async function wholeSweepStart(
  s: { spec: Parameters<typeof sweepStart>[0] },
  resume: boolean | undefined,
  outDir: string,
): Promise<SweepStart> {
  try {
    const start = await sweepStart(s.spec, { resume, readOnly: true });
    if (start.state === 'resumable') await keptRows(s.spec);
    return start;
  } catch (e) {
    throw studySweepRefusal(e, s.spec.output, outDir);
  }
}

/** A study interrupted before its sweeps were done (in its device workers, or waiting for its folder). */
const stoppedBeforeSweeps = (outDir: string, scale: Scale, wallMs: number): StudySummary => ({
  outDir,
  scale,
  sweeps: [],
  findings: [],
  figures: [],
  interrupted: true,
  left: 'sweeps',
  wallMs,
});

/** The study's run once it holds its folder's lock. */
async function studyLocked(
  given: StudyOptions,
  options: StudyOptions,
  planned: {
    started: number;
    scale: Scale;
    devices: readonly string[];
    onDevices: boolean;
    sweeps: ReturnType<typeof planStudy>;
  },
  events: EventEmitter,
): Promise<StudySummary> {
  const { started, scale, devices, onDevices, sweeps } = planned;
  // A line said with options has its parts beside it (runSweep's), for the command line's flags.
  const log = (m: string, parts?: Said) => events.emit('log', m, parts);
  if (onDevices) {
    if (!given.overwrite)
      for (const s of sweeps) {
        await refuseOtherShardCounts(s.spec.output, devices.length, given.resume === true);
        // A sweep merged earlier, without --resume: refused here, in the study's words, before any
        // worker starts (each would refuse it, and the parent would tell it once per worker).
        if (!given.resume && existsSync(s.spec.output)) await wholeSweepStart(s, false, options.outDir);
      }
    const how = await runOnDevices(devices, (device, shard) => workerArgs(given, scale, device, shard), events, {
      signal: options.signal,
    });
    if (how === 'interrupted') {
      const wallMs = Date.now() - started;
      return stoppedBeforeSweeps(options.outDir, scale, wallMs);
    }
  }
  // Identities of the models this folder's sweeps ran on, kept beside them so that a resumed
  // run's report names them without loading them again. A model is recorded once a sweep on it
  // ran: one loaded for a sweep that then refused to resume (another --dtype) is not what ran.
  const infoPath = join(options.outDir, 'models.json');
  const infos = new Map<string, ModelInfo>(existsSync(infoPath) ? Object.entries(await readInfos(infoPath)) : []);
  const models = new StudyModels(
    sweeps,
    (s) => ({ device: s.spec.device, dtype: s.spec.dtype, signal: options.signal }),
    (s) => log(`loading ${s.model} on ${s.spec.device}`),
  );
  const recordModel = async (name: string): Promise<void> => {
    const m = models.loaded(name);
    if (!m || infos.get(name) === m.info) return;
    infos.set(name, m.info);
    await writeAtomic(infoPath, new TextEncoder().encode(JSON.stringify(Object.fromEntries(infos), null, 2)));
  };

  // The targets a sweep makes from its plan alone (the vanilla grid of eight of the paper's
  // sweeps) are made once for the run.
  const targetStore = new TargetStore();
  const outcomes: SweepOutcome[] = [];
  const results = new Map<string, Results>();
  let interrupted = false;
  // The tag counts of pos sweeps' models the fit check made (Fig. 12 draws them; not tagged twice).
  let tagged = new Map<string, Record<string, number> | null>();
  try {
    // Every sweep that will run is checked against its model before the first runs (a finished
    // one is read, not run, and needs no model). After device workers, each worker checked its own.
    if (!onDevices) {
      const toRun = sweeps.filter(
        (s) =>
          options.overwrite || !existsSync(options.shard ? shardSpec(s.spec, options.shard).output : s.spec.output),
      );
      tagged = await refuseUnfitSweeps(toRun, models);
    }
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
      const spec = options.shard ? shardSpec(s.spec, options.shard) : s.spec;
      // A shard (a device worker's too) of a sweep an earlier run merged: its whole file is read
      // (with resume) or refused (without), as the run without a shard does, rather than the
      // shard's rows run again into a shard file the merged file then leaves behind.
      if (options.shard && !options.overwrite && existsSync(s.spec.output)) {
        const whole = await wholeSweepStart(s, options.resume, options.outDir);
        if (whole.state === 'finished') {
          const { records } = whole.results;
          log(`${tag}: finished earlier (${records.length} rows in ${s.spec.output})`);
          outcomes.push({
            ...base,
            output: s.spec.output,
            status: 'finished earlier',
            rows: records.length,
            stopReasons: stopReasons(records),
            wallMs: 0,
          });
          continue;
        }
      }
      log(`${tag} → ${spec.output}`);
      const t0 = Date.now();
      const sweepEvents = new EventEmitter();
      // Its lines and warnings under the experiment's name, each as the kind of event it was.
      for (const kind of ['log', 'warning'])
        sweepEvents.on(kind, (m: string, parts?: Said) =>
          events.emit(kind, `${s.experiment}: ${m}`, parts && said`${s.experiment}: ${parts}`),
        );
      sweepEvents.on('progress', (p: SweepProgress) =>
        events.emit('progress', {
          ...p,
          experiment: s.experiment,
          model: s.model,
          sweep: i + 1,
          sweeps: sweeps.length,
        }),
      );
      let summary;
      try {
        summary = await runSweepSaying(
          STUDY_WORDS,
          spec,
          {
            resume: options.resume,
            overwrite: options.overwrite,
            waitForLock: options.waitForLock,
            signal: options.signal,
            figures: false,
            model: () => models.get(s),
            targetStore,
          },
          sweepEvents,
        );
      } catch (e) {
        throw studySweepRefusal(e, spec.output, options.outDir);
      }
      await recordModel(s.model);
      models.done(s);
      // This run's device workers' shard files, merged now: removed, as `sweep --devices` removes its own.
      if (onDevices && summary.start === 'mergeable') await removeShards(shardFiles(spec.output, devices.length));
      // Those a killed run had merged but not yet removed: the sweep reads as finished now.
      if (onDevices && summary.start === 'finished')
        await removeMergedShards(spec.output, devices.length, specHash(spec));
      const wallMs = summary.start === 'finished' || summary.start === 'mergeable' ? 0 : Date.now() - t0;
      if (summary.interrupted) {
        interrupted = true;
        outcomes.push({
          ...base,
          output: spec.output,
          status: 'interrupted',
          rows: summary.rowsRun + summary.rowsResumed + summary.rowsShared,
          stopReasons: {},
          wallMs,
        });
        break;
      }
      if (!options.shard) results.set(spec.output, await readResults(spec.output));
      // A sweep finished by an earlier run of the study shares its rows as one run now does (runSweep).
      if (!options.shard && (summary.start === 'finished' || summary.start === 'mergeable')) {
        shareFinished(targetStore, spec, results.get(spec.output)!);
      }
      const status =
        summary.start === 'finished'
          ? 'finished earlier'
          : summary.start === 'mergeable'
            ? 'merged'
            : options.shard
              ? 'shard done'
              : 'run';
      // The file's rows were read above for the findings: not decoded a second time from the summary.
      const records = results.get(spec.output)?.records ?? summary.records;
      if (status !== 'run' && status !== 'shard done') log(`${tag}: ${status} (${records.length} rows)`);
      outcomes.push({
        ...base,
        output: spec.output,
        status,
        rows: records.length,
        stopReasons: stopReasons(records),
        wallMs,
      });
    }
  } finally {
    models.dispose();
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
  if (interrupted) summary.left = 'sweeps';
  if (interrupted || options.shard) {
    summary.wallMs = Date.now() - started;
    if (options.shard && !interrupted)
      log(
        `shard ${options.shard.index}/${options.shard.count} done; once every shard is, run the study again unsharded (the same output, no shard) to merge and report`,
      );
    return summary;
  }
  // Ctrl-C after the sweeps stops the findings, figures and report too (each file written is
  // whole): a --resume reads the finished sweeps and draws them again.
  const stopped = () => {
    if (options.signal?.aborted) Object.assign(summary, { interrupted: true, left: 'report' });
    summary.wallMs = Date.now() - started;
    return summary.interrupted;
  };
  if (stopped()) return summary;
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
  // Each with its scope: a finding is computed per experiment and model, so one id can come several times.
  log(`findings: ${summary.findings.map((f) => `#${f.id} ${f.verdict} (${f.scope})`).join('; ')}`);
  const posVocabulary = new Map<string, Record<string, number>>();
  for (const s of ran.filter((x) => x.study.name === 'pos')) {
    const counts = tagged.has(s.model)
      ? tagged.get(s.model)!
      : await posCounts(s.model).catch((e: Error) => (log(`pos counts of ${s.model}: ${e.message}`), null));
    if (counts) posVocabulary.set(s.model, counts);
  }
  summary.figures = await drawFigures(
    ran.map((s) => ({ sweep: s, records: results.get(s.spec.output)!.records })),
    join(options.outDir, 'figures'),
    options.models.length > 1,
    posVocabulary,
    options.signal,
  );
  if (stopped()) return summary;
  summary.report = await writeStudyReport({
    summary,
    sweeps,
    results,
    models: infos,
  });
  log(`report: ${summary.report}`);
  return summary;
}
