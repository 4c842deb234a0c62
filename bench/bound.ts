// The head bounds' cost against the sweep they belong to: one sweep with the bounds on (ball,
// sphere, bottleneck), their seconds (from the sweep's log) against the rest of its wall time.
// The goal: under 10% of the sweep. Flags: node dist/bench/bound.js --help (by default the
// study's budget, STUDY_DEFAULTS: soft prompts, its inits, epochs and patience). A random preset is loaded without its tokenizer: vanilla targets need
// none, and a machine may lack the tokenizer package.
import { mkdtempSync, rmSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadModel } from '../lib/model/load.js';
import { runSweep } from '../lib/run/sweep.js';
import { STUDY_DEFAULTS } from '../lib/spec/defaults.js';
import { parseSpec } from '../lib/spec/index.js';
import { deviceTag, save } from './common.js';
import { args, DEVICE, DTYPE, OUT_DIR, QUICK } from './flags.js';

const a = args('bound.js', {
  '--model': { takes: 'text', default: 'random:gpt2', gpu: 'random:llama-3-8b', about: 'the model, a preset or path' },
  ...DEVICE,
  '--dtype': { ...DTYPE['--dtype'], gpu: 'bfloat16' },
  '--entropy': { takes: 'text', default: '0:max:1', quick: '0:max:4', about: 'the entropy grid of vanilla targets' },
  '--inits': { takes: 'number', default: STUDY_DEFAULTS.inits, quick: 1, about: 'inits per target' },
  '--max-epochs': { takes: 'number', default: STUDY_DEFAULTS.maxEpochs, quick: 20, about: 'epochs per row at most' },
  '--patience': {
    takes: 'number',
    default: STUDY_DEFAULTS.patience,
    about: 'epochs without improvement before a row stops',
  },
  ...QUICK,
  ...OUT_DIR,
});
const device = a.text('--device');
const model = a.text('--model');
const dtype = a.text('--dtype');
const entropy = a.text('--entropy');
const inits = a.num('--inits');
const maxEpochs = a.num('--max-epochs');
const patience = a.num('--patience');

const dir = mkdtempSync(join(tmpdir(), 'distprompt-bench-bound-'));
const events = new EventEmitter();
let boundSeconds = NaN;
let targets = 0;
events.on('log', (line: string) => {
  const m = /^head bound of (\d+) targets in ([\d.]+) s/.exec(line);
  if (m) {
    targets = Number(m[1]);
    boundSeconds = Number(m[2]);
  }
});
try {
  const spec = parseSpec({
    model,
    device,
    dtype,
    targets: [{ kind: 'vanilla', entropyBits: entropy, method: 'temperature' }],
    methods: [{ method: 'soft' }],
    inits,
    maxEpochs,
    patience,
    output: join(dir, 'results.arrow'),
  });
  const t0 = performance.now();
  const loaded = await loadModel(model, { device, dtype: spec.dtype, tokenizer: !model.startsWith('random:') });
  let summary;
  try {
    summary = await runSweep(spec, { figures: false, model: loaded }, events);
  } finally {
    loaded.dispose();
  }
  const wall = (performance.now() - t0) / 1000;
  const rest = wall - boundSeconds;
  const heads = summary.records.map((r) => r.headBoundNats ?? NaN);
  const below = summary.records.filter((r) => r.belowHeadBound).length;
  // One record per target: the bounds are the same in every row of a target.
  const perTarget = [...new Map(summary.records.map((r) => [r.targetId, r])).values()];
  const inside = perTarget.filter((r) => (r.sphereStarts ?? 0) > 0);
  const statuses: Record<string, number> = {};
  for (const r of perTarget) statuses[r.bottleneckStatus ?? 'none'] = (statuses[r.bottleneckStatus ?? 'none'] ?? 0) + 1;
  const table = [
    `| model | device | targets | rows | bound s | rest of sweep s | bound / rest | rows below their bound |`,
    '|---|---|---|---|---|---|---|---|',
    `| ${model} | ${device} ${dtype} | ${targets} | ${summary.rows} | ${boundSeconds.toFixed(1)} | ${rest.toFixed(1)} | ${((100 * boundSeconds) / rest).toFixed(1)}% | ${below} |`,
  ];
  save(
    `bound-${deviceTag(device)}`,
    {
      model,
      dtype,
      entropy,
      inits,
      maxEpochs,
      patience,
      targets,
      rows: summary.rows,
      boundSeconds,
      sweepSeconds: wall,
      ratio: boundSeconds / rest,
      below,
      minHeadBound: Math.min(...heads),
      maxHeadBound: Math.max(...heads),
      sphereSearched: inside.length,
      maxSphereAboveBall: Math.max(0, ...perTarget.map((r) => (r.sphereBoundNats ?? NaN) - (r.headBoundNats ?? NaN))),
      bottleneckStatus: statuses,
      perTarget: perTarget.map((r) => ({
        targetId: r.targetId,
        entropyBits: r.targetEntropyBits,
        ball: r.headBoundNats,
        sphere: r.sphereBoundNats,
        sphereStarts: r.sphereStarts,
        bottleneck: r.bottleneckBoundNats,
        bottleneckStatus: r.bottleneckStatus,
        minKl: Math.min(...summary.records.filter((x) => x.targetId === r.targetId).map((x) => x.klNats)),
      })),
    },
    table,
  );
  if (below > 0) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
