// The plan's price of the head bound against the bound a sweep solves, each in a fresh process
// (as `sweep --plan` and `sweep` run): --mode plan prints the plan's boundSeconds, --mode sweep
// the seconds of the sweep's own bound call over the targets it makes (synthesis and upload not
// counted), and with --mode plan the solver's seconds in the plan's calibration of the bound
// (boundCalibrationSeconds: every head bound a plan solves is its calibration's; read from the
// solver's trace, DISTPROMPT_BOUND_TRACE, summed over its parts). The sweep's targets: --study NAME (a study's smoke targets, or --scale paper's), else --kind vanilla|outlier
// with --entropy GRID (--samples, --outliers), else --targets N vanilla targets spread over
// 0 .. 9.9 bits. --mode passes: seconds per pass over the head at 1 to 512 rows (the first
// target's copies, a few iterations of the ball search). Flags: node dist/bench/bound-plan.js --help.
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { headBoundSolve } from '../lib/bound/head-bound.js';
import { autoBoundBatch, boundGroupOf } from '../lib/bound/index.js';
import { loadModel } from '../lib/model/load.js';
import { native } from '../lib/native/index.js';
import { sweepBounds, targetsToMake } from '../lib/run/bound-columns.js';
import { estimateSweep } from '../lib/run/estimate.js';
import { parseSpec } from '../lib/spec/index.js';
import { readStudy, SCALES, StudyError } from '../lib/study/catalog.js';
import { planSweep } from '../lib/sweep/index.js';
import { synthesizePlans } from '../lib/targets/index.js';
import { args } from './flags.js';

const a = args('bound-plan.js', {
  '--mode': { takes: 'text', default: 'plan', oneOf: ['plan', 'sweep', 'passes'], about: 'what it times' },
  '--model': { takes: 'text', default: 'random:micro', about: 'the model, a preset or path' },
  '--study': {
    takes: 'text',
    default: '',
    about: 'a study whose targets the sweep makes (else --kind, else --targets)',
  },
  '--scale': { takes: 'text', default: 'smoke', oneOf: SCALES, needs: { '--study': true }, about: "the study's scale" },
  '--kind': {
    takes: 'text',
    oneOf: ['vanilla', 'outlier'],
    otherwise: '--targets',
    needs: { '--study': false },
    about: 'targets over --entropy',
  },
  '--entropy': {
    takes: 'text',
    default: '0:max:1',
    needs: { '--kind': true },
    about: "--kind's entropy grid (a:b:step or a,b,..)",
  },
  '--samples': { takes: 'number', default: 1, needs: { '--kind': true }, about: "--kind's samples per entropy" },
  '--outliers': { takes: 'number', default: 1, needs: { '--kind': 'outlier' }, about: 'outlier tokens per target' },
  '--targets': {
    takes: 'number',
    default: 256,
    needs: { '--study': false, '--kind': false },
    about: 'vanilla targets spread over 0 .. 9.9 bits',
  },
  '--groups': { needs: { '--mode': 'sweep' }, about: 'each group of the solve alone too' },
});
const model = a.text('--model');
const count = a.num('--targets');
const study = a.text('--study');
const kind = a.has('--kind') ? a.text('--kind') : '';
/** --study's targets at --scale; a study that does not exist refused like a bad flag. */
function studyTargets() {
  try {
    return readStudy(study)[a.word('--scale')]!.targets;
  } catch (e) {
    if (e instanceof StudyError) a.refuse(`--study '${study}': ${e.message}`);
    throw e;
  }
}
const grid = (g: string) => (g.includes(':') ? g : g.split(',').map(Number));
const targets = study
  ? studyTargets()
  : kind
    ? [
        {
          kind,
          entropyBits: grid(a.text('--entropy')),
          samples: a.num('--samples'),
          ...(kind === 'outlier' ? { outliers: a.num('--outliers') } : { method: 'temperature' }),
        },
      ]
    : [
        {
          kind: 'vanilla',
          // spread over 0 .. 9.9 bits (within every preset's vocabulary), as a study's grid is
          entropyBits: Array.from({ length: count }, (_, i) => (9.9 * i) / Math.max(1, count - 1)),
          method: 'temperature',
        },
      ];
const spec = parseSpec({
  model,
  targets,
  methods: [{ method: 'soft' }],
  inits: 1,
  maxEpochs: 1,
  output: 'unused.arrow',
});
const mode = a.text('--mode');
if (mode === 'passes') {
  // Seconds per pass over the head at each number of rows: copies of the sweep's first target,
  // a few iterations of the ball search (copies move together: every pass holds every row).
  const m = await loadModel(model);
  const plan = planSweep(spec, m.info.vocabSize);
  const made = await synthesizePlans(m, plan.targets.slice(0, 1));
  const V = m.info.vocabSize;
  for (const n of [1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512]) {
    const data = new Float32Array(n * V);
    for (let i = 0; i < n; i++) data.set(made.data.subarray(0, V), i * V);
    let least = Infinity;
    let passes = 0;
    for (let run = 0; run < 3; run++) {
      const t0 = performance.now();
      const r = await headBoundSolve(m, data, {
        groups: new Array<number>(n).fill(0),
        maxIterations: 5,
        sphere: false,
        bottleneck: false,
      });
      least = Math.min(least, (performance.now() - t0) / 1000);
      passes = r.groupPasses[0];
    }
    console.log(JSON.stringify({ mode: 'passes', model, rows: n, passes, secondsPerPass: least / passes }));
  }
  m.dispose();
} else if (mode === 'plan') {
  const traceDir = mkdtempSync(join(tmpdir(), 'distprompt-bound-plan-'));
  const traceFile = join(traceDir, 'trace.jsonl');
  process.env.DISTPROMPT_BOUND_TRACE = traceFile;
  const t0 = performance.now();
  const e = await estimateSweep(spec, { calibrationSeconds: 0.5, sampleRows: 8 });
  // What the plan itself took (its bound timing is most of it for slow targets), beside its price.
  const planSeconds = (performance.now() - t0) / 1000;
  const groups = existsSync(traceFile)
    ? readFileSync(traceFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { parts: Record<string, { seconds: number }> })
    : [];
  rmSync(traceDir, { recursive: true, force: true });
  const boundCalibrationSeconds = groups.reduce(
    (t, g) => t + Object.values(g.parts).reduce((u, p) => u + p.seconds, 0),
    0,
  );
  console.log(
    JSON.stringify({
      mode: 'plan',
      model,
      targets: e.targets,
      boundSeconds: e.setup.boundSeconds,
      boundCalibrationSeconds,
      boundCalibrationSolves: groups.length,
      planSeconds,
    }),
  );
} else {
  const m = await loadModel(model);
  const plan = planSweep(spec, m.info.vocabSize);
  const inPlan = targetsToMake(
    plan.targets,
    plan.shardRows.map((r) => r.targetId),
    true,
    m.info.device,
  );
  const made = await synthesizePlans(
    m,
    inPlan.map((i) => plan.targets[i]),
  );
  const V = m.info.vocabSize;
  const uploaded = await native().uploadTensor({ data: made.data, shape: [inPlan.length, V], device: m.info.device });
  const t0 = performance.now();
  await sweepBounds(m, { targets: uploaded, meta: made.meta }, inPlan, new EventEmitter());
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ mode: 'sweep', model, targets: inPlan.length, boundSeconds: seconds }));
  if (a.has('--groups')) {
    // Each group of the sweep's solve alone, warm: its seconds against its targets' entropies, its
    // passes over the head (the longest target's, and the group's) and its rows in them.
    const groupOf = inPlan.map((i) => boundGroupOf(i, autoBoundBatch(m.info.device)));
    for (const g of new Set(groupOf)) {
      const rows = groupOf.flatMap((x, j) => (x === g ? [j] : []));
      const t1 = performance.now();
      const r = await headBoundSolve(m, made.data.subarray(rows[0] * V, (rows.at(-1)! + 1) * V), {
        groups: rows.map(() => g),
      });
      const bits = rows.map((j) => made.meta[j].entropyBits);
      const s1 = (performance.now() - t1) / 1000;
      console.log(
        JSON.stringify({
          group: g,
          targets: rows.length,
          bits: [Math.min(...bits), Math.max(...bits)],
          seconds: s1,
          passes: r.groupPasses[0],
          longestTargetPasses: Math.max(...r.passes),
          passRows: r.passRows.reduce((t, n) => t + n, 0),
        }),
      );
    }
  }
  uploaded.dispose();
  m.dispose();
}
