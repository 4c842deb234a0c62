// Tuner throughput, measured as ratios in one run (never asserted in tests):
//   row-steps/s against batch size; batched vs one row at a time; achieved FLOP/s as a
//   fraction of a plain large matmul measured in the same run.
// Usage: node dist/bench/tune.js [--models random:micro,random:demo,random:gpt2] [--quick]
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel } from '../lib/model/load.js';
import { native } from '../lib/native/index.js';
import { tune } from '../lib/tune/index.js';
import { flopsPerRowStep } from '../lib/tune/flops.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = args.includes('--quick');
const models = arg('--models', quick ? 'random:micro,random:demo' : 'random:micro,random:demo,random:gpt2').split(',');
const device = arg('--device', 'cpu');
const dtype = arg('--dtype', 'float32') as 'float32' | 'bfloat16';
const outFile = arg('--out', join('bench', 'results', `tune-${device.replace(':', '')}.json`));

function uniformTargets(rows: number, vocab: number): Float32Array {
  // Distinct, valid targets: a softmax of a per-row ramp (the numbers, not the target, matter here).
  const t = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += t[r * vocab + v] = Math.exp(((v * (r + 1)) % 97) / 30);
    for (let v = 0; v < vocab; v++) t[r * vocab + v] /= sum;
  }
  return t;
}

async function rowStepsPerSecond(model: Awaited<ReturnType<typeof loadModel>>, rows: number, batchSize: number, epochs: number): Promise<number> {
  const targets = uniformTargets(rows, model.info.vocabSize);
  // patience = budget: every row runs exactly `epochs` steps.
  const opts = { targets, method: 'soft' as const, inits: 1, maxEpochs: epochs, patience: epochs, batchSize, chunkEpochs: epochs, ban: 'none' as const };
  await tune(model, { ...opts, maxEpochs: 2, patience: 2, chunkEpochs: 2 }); // warm-up
  const t0 = performance.now();
  await tune(model, opts);
  return (rows * epochs) / ((performance.now() - t0) / 1000);
}

const report: Record<string, unknown>[] = [];
const threads = native().buildInfo().threads;
for (const name of models) {
  const model = await loadModel(name, { device, dtype, tokenizer: false });
  const info = model.info;
  const positions = 5;
  const flops = flopsPerRowStep(info, positions);
  // Yardstick: a plain large matmul (GPT-2's LM head over 256 rows), same dtype, same run.
  const mm = { m: 256, k: 768, n: 50257 };
  const mmSeconds = await native().matmulSeconds({ ...mm, dtype, device, reps: 3 });
  const mmFlops = (2 * mm.m * mm.k * mm.n) / mmSeconds;
  const big = info.parameters > 50e6;
  const batches = quick ? [1, 16, 64, 256] : big ? [1, 8, 32, 128, 256] : [1, 4, 16, 64, 256, 1024];
  const epochs = big ? 3 : quick ? 5 : 10;
  const rows: Record<string, number>[] = [];
  for (const b of batches) {
    const rs = await rowStepsPerSecond(model, b, b, epochs);
    rows.push({ batchSize: b, rowStepsPerSecond: rs, achievedGflops: (rs * flops) / 1e9, fractionOfMatmul: (rs * flops) / mmFlops });
  }
  // Batched vs one row at a time over the same rows (the same work, so a pure ratio).
  const sameRows = Math.min(64, batches.at(-1)!);
  const seqRate = await rowStepsPerSecond(model, sameRows, 1, epochs);
  const batRate = await rowStepsPerSecond(model, sameRows, sameRows, epochs);
  const best = rows.reduce((a, b) => (b.rowStepsPerSecond > a.rowStepsPerSecond ? b : a));
  report.push({
    model: name,
    device,
    dtype,
    threads,
    parameters: info.parameters,
    flopsPerRowStep: flops,
    matmulGflops: mmFlops / 1e9,
    batches: rows,
    batchedOverSequential: { rows: sameRows, ratio: batRate / seqRate, batched: batRate, sequential: seqRate },
    best,
  });
  model.dispose();
}

mkdirSync(join('bench', 'results'), { recursive: true });
writeFileSync(outFile, JSON.stringify({ date: new Date().toISOString(), report }, null, 2));
console.log(`| model | batch | row-steps/s | GFLOP/s | of matmul |`);
console.log(`|---|---|---|---|---|`);
for (const r of report) {
  for (const b of r.batches as Record<string, number>[]) {
    console.log(`| ${r.model} | ${b.batchSize} | ${b.rowStepsPerSecond.toFixed(1)} | ${b.achievedGflops.toFixed(1)} | ${(100 * b.fractionOfMatmul).toFixed(0)}% |`);
  }
  const s = r.batchedOverSequential as { rows: number; ratio: number };
  console.log(`| ${r.model} | batched/sequential (${s.rows} rows) | ${s.ratio.toFixed(1)}× | matmul ${(r.matmulGflops as number).toFixed(1)} GFLOP/s | |`);
}
console.log(`\nwritten ${outFile}`);
