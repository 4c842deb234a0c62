// The plan against the run it plans: `study --plan` (estimateStudy) and then the study itself
// (runStudy, into a temporary folder that is removed after), in one process on one machine, so
// the ratio measured / planned compares like with like. Goal: the typical case within 2× of the
// measured time of the sweeps (model loads, targets, head bounds, tuning: what the plan prices);
// the whole run's ratio, with the findings, figures and report after the sweeps, beside it.
// Flags: node dist/bench/plan.js --help.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { duration } from '../lib/run/estimate-report.js';
import { estimateStudy } from '../lib/run/estimate-study.js';
import { SCALES } from '../lib/study/catalog.js';
import { runStudy } from '../lib/run/study.js';
import { deviceTag, save } from './common.js';
import { args, DEVICE, DTYPE, modelsFlag, OUT_DIR } from './flags.js';

const a = args('plan.js', {
  '--studies': { takes: 'list', default: 'all', about: 'the studies planned and run' },
  ...modelsFlag({ default: 'random:demo' }),
  '--scale': { takes: 'text', default: 'smoke', oneOf: SCALES, about: "the studies' scale" },
  ...DEVICE,
  ...DTYPE,
  '--calibration-s': { takes: 'number', default: 4, about: "the plan's calibration, seconds" },
  '--no-bound': { about: 'without the head bounds' },
  ...OUT_DIR,
});
const device = a.text('--device');
const dtype = a.word('--dtype');
const studies = a.list('--studies');
const models = a.list('--models');
const scale = a.word('--scale');
const bound = !a.has('--no-bound');
const common = { studies, models, scale, device, dtype, bound };

const t0 = performance.now();
const plan = await estimateStudy({ ...common, calibrationSeconds: a.num('--calibration-s') });
const planSeconds = (performance.now() - t0) / 1000;

const dir = mkdtempSync(join(tmpdir(), 'distprompt-bench-plan-'));
const t1 = performance.now();
let summary: Awaited<ReturnType<typeof runStudy>>;
try {
  summary = await runStudy({ ...common, outDir: dir });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const runSeconds = (performance.now() - t1) / 1000;

const sweeps = plan.sweeps.map((p) => {
  const ran = summary.sweeps.find((s) => s.experiment === p.experiment && s.model === p.model);
  return {
    experiment: p.experiment,
    model: p.model,
    rows: p.estimate?.rows ?? 0,
    worstSeconds: p.estimate?.worstSeconds ?? 0,
    typicalSeconds: p.estimate?.typicalSeconds ?? 0,
    measuredSeconds: (ran?.wallMs ?? 0) / 1000,
    skipped: p.skipped ?? null,
  };
});
const sweepSeconds = sweeps.reduce((t, s) => t + s.measuredSeconds, 0);
const ratio = sweepSeconds / plan.typicalSeconds;
const wholeRatio = runSeconds / plan.typicalSeconds;
// A plan is worth its price while it costs a small part of what it plans.
const planShare = planSeconds / sweepSeconds;
const table = [
  `The plan against the run (${studies.join(',')} at ${scale} scale on ${models.join(',')}, ${device}, ${dtype})`,
  '',
  '| experiment | rows | planned typical | planned worst | measured | measured / typical |',
  '|---|---|---|---|---|---|',
  ...sweeps
    .filter((s) => !s.skipped)
    .map(
      (s) =>
        `| ${s.experiment} | ${s.rows} | ${duration(s.typicalSeconds)} | ${duration(s.worstSeconds)} | ${duration(s.measuredSeconds)} | ${(s.measuredSeconds / s.typicalSeconds).toFixed(2)} |`,
    ),
  `| **sweeps** | ${plan.rows} | ${duration(plan.typicalSeconds)} | ${duration(plan.worstSeconds)} | ${duration(sweepSeconds)} | **${ratio.toFixed(2)}** |`,
  `| the whole run (findings, figures, report too) | | | | ${duration(runSeconds)} | ${wholeRatio.toFixed(2)} |`,
  '',
  `planning took ${duration(planSeconds)}, ${planShare.toFixed(2)} of the sweeps' measured time (goal: at most 1/3); the sweeps' measured / typical = ${ratio.toFixed(2)} (goal: within 2×, i.e. 0.5 to 2)`,
];
save(
  `plan-${deviceTag(device)}`,
  {
    dtype,
    studies,
    models,
    scale,
    bound,
    planSeconds,
    planShare,
    sweepSeconds,
    runSeconds,
    ratio,
    wholeRatio,
    plan,
    sweeps,
  },
  table,
);
if (!(ratio >= 0.5 && ratio <= 2)) process.exitCode = 1;
