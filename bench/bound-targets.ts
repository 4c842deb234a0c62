// The head bound's cost per target against the target's entropy: each target of a sweep's plan
// solved alone (a group of one), ball only, then with the sphere search, then with the
// bottleneck, so each part's seconds are the difference. Also the ball's iterations and the
// values (to compare a solver change before and after: --values FILE writes them, --against FILE
// reads an earlier run's and prints the largest change of each bound).
// --trace: each target solved once with every part, and the solver's own account of where the
// time went (DISTPROMPT_BOUND_TRACE): per part its seconds, iterations, passes over W and
// backtracked rows. An addon without the trace still gives each target's seconds, so the same
// command run with DISTPROMPT_ADDON set to an older build times the two solvers back to back.
// Flags: node dist/bench/bound-targets.js --help.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { headBound, type HeadBoundRecord } from '../lib/bound/index.js';
import { loadModel } from '../lib/model/load.js';
import { parseSpec } from '../lib/spec/index.js';
import { planSweep } from '../lib/sweep/index.js';
import { synthesizePlans } from '../lib/targets/index.js';
import { save } from './common.js';
import { args, OUT_DIR } from './flags.js';

const a = args('bound-targets.js', {
  '--model': { takes: 'text', default: 'random:micro', about: 'the model, a preset or path' },
  '--kind': { takes: 'text', default: 'vanilla', oneOf: ['vanilla', 'outlier'], about: 'the targets' },
  '--entropy': { takes: 'text', default: '0:max:1', about: 'the entropy grid (a:b:step or a,b,..)' },
  '--samples': { takes: 'number', default: 1, about: 'targets per entropy' },
  '--outliers': { takes: 'number', default: 1, needs: { '--kind': 'outlier' }, about: 'outlier tokens per target' },
  '--values': { takes: 'text', default: '', about: "a file to write each target's bounds to" },
  '--against': {
    takes: 'text',
    default: '',
    about: "an earlier run's --values file: the largest change of each bound",
  },
  '--trace': { about: "the solver's own account of where the time went" },
  ...OUT_DIR,
});
const model = a.text('--model');
const kind = a.text('--kind');
const entropy = a.text('--entropy');
const grid = entropy.includes(':') ? entropy : entropy.split(',').map(Number);
const spec = parseSpec({
  model,
  targets: [
    kind === 'outlier'
      ? { kind, outliers: a.num('--outliers'), entropyBits: grid, samples: a.num('--samples') }
      : { kind, entropyBits: grid, samples: a.num('--samples'), method: 'temperature' },
  ],
  methods: [{ method: 'soft' }],
  inits: 1,
  maxEpochs: 1,
  output: 'unused.arrow',
});
const m = await loadModel(model, { tokenizer: false });
const V = m.info.vocabSize;
const plan = planSweep(spec, V);
const made = await synthesizePlans(m, plan.targets);
const row = (i: number) => made.data.subarray(i * V, (i + 1) * V);
const timed = async (i: number, o: { sphere: boolean; bottleneck: boolean }) => {
  const t0 = performance.now();
  const [r] = await headBound(m, row(i), { groups: [i], targetIds: [made.meta[i].id], ...o });
  return { r, s: (performance.now() - t0) / 1000 };
};
await timed(0, { sphere: true, bottleneck: true }); // the first call's one-off costs
const traceDir = a.has('--trace') ? mkdtempSync(join(tmpdir(), 'distprompt-bound-trace-')) : '';
const traceFile = traceDir ? join(traceDir, 'trace.jsonl') : '';
if (traceFile) process.env.DISTPROMPT_BOUND_TRACE = traceFile;
interface TracePart {
  seconds: number;
  valueRows: number;
  gradientRows: number;
  backtrackRows: number;
  rowIterations: number;
  maxIterations: number;
  newtonRows: number;
}
/** The trace's line for the last call (one group), or null from an addon without the trace. */
const lastTrace = (): { sphereSearched: number; parts: Record<string, TracePart> } | null => {
  if (!existsSync(traceFile)) return null;
  const lines = readFileSync(traceFile, 'utf8').trim().split('\n');
  rmSync(traceFile);
  return JSON.parse(lines.at(-1)!);
};
const out: Array<{
  targetId: string;
  entropyBits: number;
  iterations: number;
  ball: number;
  sphere: number;
  bottleneck: number;
  record: HeadBoundRecord;
  trace?: ReturnType<typeof lastTrace>;
}> = [];
for (let i = 0; i < plan.targets.length; i++) {
  if (traceFile) {
    const all = await timed(i, { sphere: true, bottleneck: true });
    const trace = lastTrace();
    const part = (names: string[]) => names.reduce((t, n) => t + (trace?.parts[n]?.seconds ?? 0), 0);
    out.push({
      targetId: all.r.targetId,
      entropyBits: all.r.targetEntropyBits,
      iterations: all.r.iterations,
      ball: trace ? part(['ball']) : all.s,
      sphere: part(['sphere residual', 'sphere screen', 'sphere polish']),
      bottleneck: part(['bottleneck', 'bottleneck restricted', 'bottleneck limit']),
      record: all.r,
      trace,
    });
    continue;
  }
  const ball = await timed(i, { sphere: false, bottleneck: false });
  const sphere = await timed(i, { sphere: true, bottleneck: false });
  const all = await timed(i, { sphere: true, bottleneck: true });
  out.push({
    targetId: all.r.targetId,
    entropyBits: all.r.targetEntropyBits,
    iterations: ball.r.iterations,
    ball: ball.s,
    sphere: Math.max(0, sphere.s - ball.s),
    bottleneck: Math.max(0, all.s - sphere.s),
    record: all.r,
  });
}
m.dispose();
if (traceDir) rmSync(traceDir, { recursive: true, force: true });

const values = out.map((o) => ({
  targetId: o.targetId,
  headBoundNats: o.record.headBoundNats,
  gapNats: o.record.gapNats,
  sphereBoundNats: o.record.sphereBoundNats,
  bottleneckBoundNats: o.record.bottleneckBoundNats,
  bottleneckStatus: o.record.bottleneckStatus,
}));
const valuesFile = a.text('--values');
if (valuesFile) writeFileSync(valuesFile, JSON.stringify(values, null, 1));
const against = a.text('--against');
const change: Record<string, number> = {};
if (against) {
  const before = new Map(
    (JSON.parse(readFileSync(against, 'utf8')) as typeof values).map((v) => [v.targetId, v] as const),
  );
  for (const key of ['headBoundNats', 'sphereBoundNats', 'bottleneckBoundNats'] as const) {
    change[key] = Math.max(
      0,
      ...values.map((v) => Math.abs((v[key] ?? NaN) - (before.get(v.targetId)?.[key] ?? NaN))).filter(Number.isFinite),
    );
  }
  change.statusChanged = values.filter((v) => v.bottleneckStatus !== before.get(v.targetId)?.bottleneckStatus).length;
}
const f = (x: number) => x.toFixed(3);
const table = [
  `| target | bits | ball iterations | ball s | sphere s | bottleneck s | total s | status |`,
  '|---|---|---|---|---|---|---|---|',
  ...out.map(
    (o) =>
      `| ${o.targetId} | ${o.entropyBits.toFixed(2)} | ${o.iterations} | ${f(o.ball)} | ${f(o.sphere)} | ${f(o.bottleneck)} | ${f(o.ball + o.sphere + o.bottleneck)} | ${o.record.bottleneckStatus} |`,
  ),
  ...(against ? ['', `max |Δ| against ${against}: ${JSON.stringify(change)}`] : []),
  ...(out.some((o) => o.trace)
    ? [
        '',
        '| target | part | s | row-iterations | longest row | passes (value + gradient rows) | backtracked rows | Newton rows |',
        '|---|---|---|---|---|---|---|---|',
        ...out.flatMap((o) =>
          Object.entries(o.trace?.parts ?? {}).map(
            ([name, p]) =>
              `| ${o.targetId} | ${name} | ${f(p.seconds)} | ${p.rowIterations} | ${p.maxIterations} | ${p.valueRows} + ${p.gradientRows} | ${p.backtrackRows} | ${p.newtonRows} |`,
          ),
        ),
      ]
    : []),
  `total ${f(out.reduce((t, o) => t + o.ball + o.sphere + o.bottleneck, 0))} s`,
];
save(
  `bound-targets-${model.replace(/[:/]/g, '-')}-${kind}`,
  {
    model,
    kind,
    entropy,
    perTarget: out.map(({ record, ...rest }) => ({ ...rest, sphereStarts: record.sphereStarts })),
    seconds: out.reduce((t, o) => t + o.ball + o.sphere + o.bottleneck, 0),
    change,
  },
  table,
);
