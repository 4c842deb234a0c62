// estimateStudy: every sweep a study run would make (lib/study/plan.ts), estimated before it
// runs (estimate.ts), writing nothing. Each model loads once (its load counted in its first
// sweep), and the sweeps share what their calibrations measured through one costs map.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

import type { Shard } from '../spec/index.js';
import { expandStudies, type Scale } from '../study/catalog.js';
import { planStudy, type StudySweep } from '../study/plan.js';
import { refuseUnknownKeys } from '../spec/fields.js';
import type { NativeDtype } from '../native/types-model.js';
import { estimateSweep, type EstimateOptions, type SweepEstimate } from './estimate.js';
import type { EpochCost } from './estimate-batching.js';
import { refuseUnfitSweeps } from './fit.js';
import { StudyModels } from './study-models.js';
import { TargetStore } from '../targets/index.js';
import { keptAtStart } from './kept.js';
import { refuseIfLocked, refuseStudiesBeside, studyLock } from './lock.js';
import { studyDevice, studySweepRefusal } from './study-refusals.js';
import { firstDevice, shardSpec } from './shards.js';
import { checkStudyNames } from './study-names.js';
import { ArgumentError } from '../io/argument-error.js';

export interface StudyEstimateOptions extends Omit<
  EstimateOptions,
  'model' | 'costs' | 'kept' | 'targetStore' | 'reuse'
> {
  studies: readonly string[];
  /** the study's output folder (a resume's sweeps are read there; default '.') */
  outDir?: string | undefined;
  /** price what a `--resume` of the study in outDir has left: finished sweeps cost nothing */
  resume?: boolean | undefined;
  /** price running every sweep again over the results in outDir (without it, or resume, a sweep there is refused as the run refuses it) */
  overwrite?: boolean | undefined;
  /** one worker per device, each a shard of every sweep: each sweep is priced on its busiest device */
  devices?: readonly string[] | undefined;
  studiesDir?: string | undefined;
  models: readonly string[];
  scale?: Scale | undefined;
  device?: string | undefined;
  dtype?: NativeDtype | undefined;
  seed?: number | undefined;
  bound?: boolean | undefined;
  /** price this slice of every sweep, as `study --shard` runs it (default: every row) */
  shard?: Shard | undefined;
  /** told before each sweep is calibrated: `[i/n] experiment on model` */
  onSweep?: ((label: string) => void) | undefined;
  /** told as each sweep is planned or skipped, so that a plan cut short still gave what it had */
  onEstimate?: ((sweep: StudySweepEstimate) => void) | undefined;
}

export interface StudySweepEstimate {
  experiment: string;
  model: string;
  /** why the study run would skip this sweep */
  skipped?: string;
  estimate?: SweepEstimate;
}

export interface StudyEstimate {
  sweeps: StudySweepEstimate[];
  /**
   * sweeps left unplanned because `signal` aborted (`experiment on model`), the one whose
   * calibration it cut short included; empty when the plan is whole. The totals are of `sweeps`.
   */
  notPlanned: string[];
  /** rows to run (with resume: those left) */
  rows: number;
  /** rows a resume keeps */
  keptRows: number;
  /** rows an earlier sweep of the study runs alike, written by the later one, not run */
  sharedRows: number;
  worstRowEpochs: number;
  worstSeconds: number;
  typicalSeconds: number;
  calibrationSeconds: number;
}

/** StudyEstimateOptions' fields, as the compiler checks them against the interface. */
const STUDY_ESTIMATE_OPTIONS: Record<keyof StudyEstimateOptions, true> = {
  studies: true,
  studiesDir: true,
  outDir: true,
  resume: true,
  overwrite: true,
  devices: true,
  models: true,
  scale: true,
  device: true,
  dtype: true,
  seed: true,
  bound: true,
  shard: true,
  onSweep: true,
  onEstimate: true,
  calibrationSeconds: true,
  sampleRows: true,
  signal: true,
};

export async function estimateStudy(o: StudyEstimateOptions): Promise<StudyEstimate> {
  // A misspelt `scale` would plan the paper's sizes: refused, not dropped.
  refuseUnknownKeys('estimateStudy', o, STUDY_ESTIMATE_OPTIONS, (m) => new ArgumentError(m));
  const started = performance.now();
  const sweeps = planStudy(expandStudies(o.studies, o.studiesDir), {
    scale: o.scale ?? 'paper',
    models: o.models,
    outDir: o.outDir ?? '.', // outputs are named (and with resume read), never written
    device: studyDevice(o),
    dtype: o.dtype,
    seed: o.seed,
    bound: o.bound,
  });
  // A study running in the folder: this command would be refused at its start (runStudy's
  // lock), so its plan is too, naming that run, before any calibration.
  if (o.outDir !== undefined && existsSync(o.outDir)) {
    await refuseIfLocked(o.outDir, studyLock(o.outDir, o.shard).path);
    await refuseStudiesBeside(o.outDir, o.shard);
  }
  // As runStudy refuses them, before any calibration.
  checkStudyNames(sweeps, o.shard ? o.shard.count : o.devices && o.devices.length > 1 ? o.devices.length : 1);
  const costs = new Map<string, EpochCost>();
  // As runStudy makes each target that depends on its plan alone once for all its sweeps.
  const targetStore = new TargetStore();
  const out: StudySweepEstimate[] = [];
  const notPlanned: string[] = [];
  const planned = (sweep: StudySweepEstimate) => {
    out.push(sweep);
    o.onEstimate?.(sweep);
  };
  // As runStudy runs a sweep: one shard of it, or the sweep split over the devices.
  const specOf = (s: StudySweep) =>
    o.shard
      ? shardSpec(s.spec, o.shard)
      : o.devices && o.devices.length > 1
        ? { ...s.spec, devices: [...o.devices] }
        : s.spec;
  const models = new StudyModels(sweeps, (s) => {
    const spec = specOf(s);
    return { device: firstDevice(spec), dtype: spec.dtype };
  });
  try {
    // As the study run does: a sweep that cannot run on its model is told before any calibration.
    await refuseUnfitSweeps(sweeps, models);
    for (const [i, s] of sweeps.entries()) {
      const label = `${s.experiment} on ${s.model}`;
      if (o.signal?.aborted) {
        notPlanned.push(label);
        continue;
      }
      if (s.skipped) {
        planned({ experiment: s.experiment, model: s.model, skipped: s.skipped });
        continue;
      }
      o.onSweep?.(`[${i + 1}/${sweeps.length}] ${label}`);
      // A shard of a sweep merged earlier: its whole file, read or refused as the run does (runStudy).
      const spec = o.shard && !o.overwrite && existsSync(s.spec.output) ? s.spec : specOf(s);
      const model = await models.get(s);
      // A load is counted in the sweep it was made for: the first on a model, and one after a
      // sweep on another model (the study run holds one model at a time, and so does this plan).
      const load = models.takeLoadSeconds();
      const { calibrationSeconds, sampleRows, signal } = o;
      let e: SweepEstimate;
      try {
        // The run makes its output folder: a sweep in one not made yet starts fresh.
        const kept = existsSync(dirname(spec.output))
          ? await keptAtStart(spec, { resume: o.resume, overwrite: o.overwrite })
          : undefined;
        e = await estimateSweep(spec, { calibrationSeconds, sampleRows, signal, model, costs, kept, targetStore });
      } catch (err) {
        // Cut short, its calibration would understate it: not planned rather than planned wrong.
        if (o.signal?.aborted) {
          notPlanned.push(label);
          continue;
        }
        throw studySweepRefusal(err, spec.output, o.outDir ?? '.');
      }
      e.setup.loadSeconds = load;
      e.worstSeconds += load;
      e.typicalSeconds += load;
      planned({ experiment: s.experiment, model: s.model, estimate: e });
      models.done(s);
    }
  } finally {
    models.dispose();
  }
  const sum = (f: (e: SweepEstimate) => number) => out.reduce((a, s) => a + (s.estimate ? f(s.estimate) : 0), 0);
  return {
    sweeps: out,
    notPlanned,
    rows: sum((e) => e.rows),
    keptRows: sum((e) => e.keptRows),
    sharedRows: sum((e) => e.sharedRows),
    worstRowEpochs: sum((e) => e.worstRowEpochs),
    worstSeconds: sum((e) => e.worstSeconds),
    typicalSeconds: sum((e) => e.typicalSeconds),
    calibrationSeconds: (performance.now() - started) / 1000,
  };
}
