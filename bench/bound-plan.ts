// The plan's price of the head bound against the bound a sweep solves, each in a fresh process
// (as `sweep --plan` and `sweep` run): --mode plan prints the plan's boundSeconds, --mode sweep
// the seconds of the sweep's own bound call over the targets it makes (synthesis and upload not
// counted). Usage: node dist/bench/bound-plan.js --mode plan|sweep [--model random:micro] [--targets 256]
import { EventEmitter } from 'node:events';

import { loadModel } from '../lib/model/load.js';
import { native } from '../lib/native/index.js';
import { sweepBounds, targetsToMake } from '../lib/run/bound-columns.js';
import { estimateSweep } from '../lib/run/estimate.js';
import { parseSpec } from '../lib/spec/index.js';
import { planSweep } from '../lib/sweep/index.js';
import { synthesizePlans } from '../lib/targets/index.js';
import { args } from './common.js';

const a = args();
const model = a.get('--model', 'random:micro');
const count = a.num('--targets', 256);
const spec = parseSpec({
  model,
  targets: [
    {
      kind: 'vanilla',
      // spread over 0 .. 9.9 bits (within every preset's vocabulary), as a study's grid is
      entropyBits: Array.from({ length: count }, (_, i) => (9.9 * i) / Math.max(1, count - 1)),
      method: 'temperature',
    },
  ],
  methods: [{ method: 'soft' }],
  inits: 1,
  maxEpochs: 1,
  output: 'unused.arrow',
});
if (a.get('--mode', 'plan') === 'plan') {
  const e = await estimateSweep(spec, { calibrationSeconds: 0.5, sampleRows: 8 });
  console.log(JSON.stringify({ mode: 'plan', model, targets: e.targets, boundSeconds: e.setup.boundSeconds }));
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
  uploaded.dispose();
  m.dispose();
}
