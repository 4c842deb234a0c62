// distprompt against the Python loop a user would otherwise write (bench/python_loop.py), on the
// same weights, same steps, same machine, in one run: the ratio of row-steps per second, and
// the KL both reach on a shared target, so that the comparison is honest.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadModel } from '../lib/model/load.js';
import { getPreset } from '../lib/model/presets.js';
import { native } from '../lib/native/index.js';
import { tune } from '../lib/tune/index.js';
import { args, save } from './common.js';

const a = args();
const preset = a.get('--preset', 'tiny-gpt2');
const device = a.get('--device', 'cpu');
const pyRows = Number(a.get('--python-rows', '4'));
const rows = Number(a.get('--rows', '64'));
const steps = Number(a.get('--steps', '100'));
const root = join(import.meta.dirname, '..', '..');
const python = [process.env.DISTPROMPT_PYTHON, join(root, '.distprompt-torch', 'venv', 'bin', 'python'), join(root, '.torch-venv', 'bin', 'python'), 'python3'].find(
  (p) => p && (p === 'python3' || existsSync(p)) && spawnSync(p, ['-c', 'import torch, transformers'], { encoding: 'utf8' }).status === 0,
);
if (!python) {
  console.log('bench/python: SKIPPED — no Python with torch + transformers (pip install transformers, or set DISTPROMPT_PYTHON)');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'distprompt-pybench-'));
const py = spawnSync(python, [join(root, 'bench', 'python_loop.py'), dir, JSON.stringify(getPreset(preset).hfConfig), String(pyRows), String(steps)], {
  encoding: 'utf8',
  env: { ...process.env, DISTPROMPT_THREADS: String(native().buildInfo().threads) },
});
if (py.status !== 0) throw new Error(`python loop failed:\n${py.stderr}`);
const pyOut = JSON.parse(py.stdout.trim().split('\n').at(-1)!);

const model = await loadModel(dir, { device, tokenizer: false });
const target = Float32Array.from(JSON.parse(readFileSync(join(dir, 'target.json'), 'utf8')) as number[]);
const opts = { targets: target, inits: rows, maxEpochs: steps, patience: steps, ban: 'none' as const, chunkEpochs: 10 };
await tune(model, { ...opts, inits: 2, maxEpochs: 3, patience: 3 }); // warm-up
const t0 = performance.now();
const results = await tune(model, opts);
const ours = (rows * steps) / ((performance.now() - t0) / 1000);
const bestOurs = Math.min(...results.map((r) => r.klNats));
const bestPy = Math.min(...(pyOut.bestKl as number[]));
const report = {
  preset,
  device,
  steps,
  distprompt: { rows, rowStepsPerSecond: ours, bestKl: bestOurs },
  python: { rows: pyRows, ...pyOut, bestKlMin: bestPy },
  speedup: ours / pyOut.rowStepsPerSecond,
  // Both search the same target with the same optimiser and steps: their minima must agree closely.
  klAgreement: Math.abs(bestOurs - bestPy),
};
model.dispose();
save(`python-${preset}-${device.replace(':', '')}`, report, [
  '| | rows | row-steps/s | best KL (nats) |',
  '|---|---|---|---|',
  `| distprompt (batched) | ${rows} | ${ours.toFixed(1)} | ${bestOurs.toFixed(4)} |`,
  `| Python transformers loop | ${pyRows} | ${pyOut.rowStepsPerSecond.toFixed(1)} | ${bestPy.toFixed(4)} |`,
  `| ratio | | ${report.speedup.toFixed(1)}× | Δ ${report.klAgreement.toFixed(4)} |`,
]);
