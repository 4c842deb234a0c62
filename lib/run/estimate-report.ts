// An estimate as text: what `sweep --plan` and `study --plan` print (--json prints the objects).
import type { SweepEstimate } from './estimate.js';
import type { StudyEstimate } from './estimate-study.js';

/** 4.2 s, 3.5 min, 2 h 05 min, 3 d 4 h */
export function duration(seconds: number): string {
  if (seconds < 90) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 90 * 60) return `${(seconds / 60).toFixed(1)} min`;
  const h = Math.floor(seconds / 3600);
  if (h < 48) return `${h} h ${String(Math.round((seconds - 3600 * h) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

/** "120 rows", "120 rows left (30 kept)", "120 rows, 60 a device on 2 devices" */
function rowsText(
  e: { rows: number; keptRows: number; sharedRows: number; devices?: number },
  perDevice?: number,
): string {
  const kept = e.keptRows > 0 ? ` left (${n(e.keptRows)} kept)` : '';
  const shared = e.sharedRows > 0 ? ` (and ${n(e.sharedRows)} taken from an earlier sweep)` : '';
  const split =
    e.devices && e.devices > 1 && perDevice !== undefined
      ? `, ${n(perDevice)} on the busiest of ${e.devices} devices`
      : '';
  return `${n(e.rows)} rows${kept}${shared}${split}`;
}

export function sweepEstimateLines(e: SweepEstimate): string[] {
  // What the run would log of its --reuse files first: a plan is where one learns a file gives nothing.
  return [...e.reuseNotes, ...pricedLines(e)];
}

function pricedLines(e: SweepEstimate): string[] {
  const s = e.setup;
  const perDevice = e.methods.reduce((a, m) => a + m.rowsPerDevice, 0);
  if (e.rows === 0 && e.mergedShards > 0)
    return [
      `plan of ${e.output}: nothing to run; the run merges the ${n(e.mergedShards)} shard files beside it (${n(e.keptRows)} rows); nothing written`,
    ];
  if (e.rows === 0 && e.keptRows > 0) {
    // Kept and taken together make the sweep: "all" of the kept alone would say the sweep is that big.
    const rows =
      e.sharedRows > 0
        ? `${n(e.keptRows)} rows and takes the other ${n(e.sharedRows)} from an earlier sweep`
        : `all ${n(e.keptRows)} rows`;
    return [`plan of ${e.output}: nothing left to run; a resume keeps ${rows}; nothing written`];
  }
  if (e.rows === 0 && e.sharedRows > 0)
    return [
      `plan of ${e.output}: nothing to run; all ${n(e.sharedRows)} of its rows are taken from an earlier sweep; nothing written`,
    ];
  return [
    `plan of ${e.output}: ${e.model} on ${e.device} (${e.dtype}), calibrated in ${duration(e.calibrationSeconds)}; nothing written`,
    ...(e.devices > 1
      ? [
          `over ${e.devices} devices, a shard each: the times are the busiest device's${e.device === 'cpu' ? ` (calibrated alone; workers on one CPU share its cores, so up to ${e.devices}× longer)` : ''}`,
        ]
      : []),
    '',
    '| method | rows | batch | row-epochs/s | typical epochs (sample rows stopped) | worst | typical |',
    '|---|---|---|---|---|---|---|',
    ...e.methods.map(
      (m) =>
        `| ${m.method} | ${n(m.rows)} | ${n(m.batchSize)} | ${n(m.rowEpochsPerSecond)} | ${n(m.sample.meanEpochs)} of ${n(e.maxEpochs)} (${m.sample.stopped}/${m.sample.rows}) | ${duration(m.worstSeconds)} | ${duration(m.typicalSeconds)} |`,
    ),
    '',
    `setup: model load ${duration(s.loadSeconds)}, ${n(e.targets)} targets ${duration(s.targetsSeconds)}, head bound ${duration(s.boundSeconds)}`,
    `total: ${rowsText(e, perDevice)}; worst case ${n(e.worstRowEpochs)} row-epochs (rows × ${n(e.maxEpochs)}) in ${duration(e.worstSeconds)}; typical ${n(e.typicalRowEpochs)} row-epochs in ${duration(e.typicalSeconds)}`,
  ];
}

export function studyEstimateLines(e: StudyEstimate): string[] {
  return [
    '| experiment | model | rows | worst row-epochs | worst | typical |',
    '|---|---|---|---|---|---|',
    ...e.sweeps.map((s) =>
      s.estimate
        ? `| ${s.experiment} | ${s.model} | ${n(s.estimate.rows)} | ${n(s.estimate.worstRowEpochs)} | ${duration(s.estimate.worstSeconds)} | ${duration(s.estimate.typicalSeconds)} |`
        : `| ${s.experiment} | ${s.model} | skipped: ${s.skipped} | | | |`,
    ),
    '',
    `total: ${rowsText(e)}; worst case ${n(e.worstRowEpochs)} row-epochs in ${duration(e.worstSeconds)}; typical ${duration(e.typicalSeconds)} (calibrated in ${duration(e.calibrationSeconds)}; nothing written)`,
    ...(e.notPlanned.length
      ? [`interrupted: the total is of the sweeps above; not planned: ${e.notPlanned.join(', ')}`]
      : []),
  ];
}
