// The head bound's cost against the sweep it belongs to: one sweep with the bound on, the
// bound's own seconds (from the sweep's log) against the rest of its wall time. The goal: under
// 10% of the sweep. Flags: --model (random:gpt2), --device, --dtype, --entropy, --inits, --max-epochs.
import { mkdtempSync, rmSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runSweep } from '../lib/run/sweep.js';
import { parseSpec } from '../lib/spec/index.js';
import { args, deviceTag, save } from './common.js';

const a = args();
const quick = a.has('--quick');
const device = a.get('--device', 'cpu');
const model = a.get('--model', device === 'cpu' ? 'random:gpt2' : 'random:llama-3-8b');
const dtype = a.get('--dtype', device === 'cpu' ? 'float32' : 'bfloat16');
const entropy = a.get('--entropy', quick ? '0:max:4' : '0:max:1');
const inits = a.num('--inits', quick ? 1 : 3);
const maxEpochs = a.num('--max-epochs', quick ? 20 : 100);

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
    inits,
    maxEpochs,
    output: join(dir, 'results.arrow'),
  });
  const t0 = performance.now();
  const summary = await runSweep(spec, { figures: false }, events);
  const wall = (performance.now() - t0) / 1000;
  const rest = wall - boundSeconds;
  const heads = summary.records.map((r) => r.headBoundNats ?? NaN);
  const below = summary.records.filter((r) => r.belowHeadBound).length;
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
      targets,
      rows: summary.rows,
      boundSeconds,
      sweepSeconds: wall,
      ratio: boundSeconds / rest,
      below,
      minHeadBound: Math.min(...heads),
      maxHeadBound: Math.max(...heads),
    },
    table,
  );
  if (below > 0) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
