// The head bounds' cost against the sweep they belong to: one sweep with the bounds on (ball,
// sphere, bottleneck), their seconds (from the sweep's log) against the rest of its wall time.
// The goal: under 10% of the sweep. Flags: --model (random:gpt2), --device, --dtype, --entropy,
// --inits, --max-epochs, --patience (default: the study's budget, STUDY_DEFAULTS — soft prompts,
// 5 inits, ≤ 500 epochs, patience 20). A random preset is loaded without its tokenizer: vanilla targets need
// none, and a machine may lack the tokenizer package.
import { mkdtempSync, rmSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadModel } from '../lib/model/load.js';
import { runSweep } from '../lib/run/sweep.js';
import { STUDY_DEFAULTS } from '../lib/spec/defaults.js';
import { parseSpec } from '../lib/spec/index.js';
import { args, deviceTag, save } from './common.js';

const a = args();
const quick = a.has('--quick');
const device = a.get('--device', 'cpu');
const model = a.get('--model', device === 'cpu' ? 'random:gpt2' : 'random:llama-3-8b');
const dtype = a.get('--dtype', device === 'cpu' ? 'float32' : 'bfloat16');
const entropy = a.get('--entropy', quick ? '0:max:4' : '0:max:1');
const inits = a.num('--inits', quick ? 1 : STUDY_DEFAULTS.inits);
const maxEpochs = a.num('--max-epochs', quick ? 20 : STUDY_DEFAULTS.maxEpochs);
const patience = a.num('--patience', STUDY_DEFAULTS.patience);

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
      device,
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
