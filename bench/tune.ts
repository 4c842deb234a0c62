// The tuner against model size: for each model, the marginal steady-state row-steps/s at the
// batch size tune() would pick itself, its achieved GFLOP/s and fraction of the best plain
// matmul measured in this run (bench/common.ts), memory per row, and batched vs one row at a
// time over the same rows (end to end: per-row overheads are exactly what batching saves).
// Flags: node dist/bench/tune.js --help. --profile: where one epoch's time goes instead
// (bench/profile.ts says how; its flags: tune.js --profile --help).
import { loadModel } from '../lib/model/load.js';
import { autoBatchSize } from '../lib/tune/batch-size.js';
import { tune } from '../lib/tune/index.js';
import { deviceTag, memoryProbe, mib, save, yardstick, yardstickTable } from './common.js';
import { args, DEVICE, DTYPE, modelsFlag, OUT_DIR, QUICK, SUFFIX } from './flags.js';
import { fmt, measureRate, pct, RATE_FLAGS, rampTargets, type RatePoint } from './tune-rate.js';

// --profile hands the whole command line to profile.ts, whose flags are its own.
if (process.argv.slice(2).includes('--profile')) {
  await import('./profile.js');
  process.exit(process.exitCode ?? 0);
}
const a = args('tune.js', {
  ...modelsFlag({ default: 'random:micro,random:demo,random:gpt2', quick: 'random:micro,random:demo' }),
  ...DEVICE,
  ...DTYPE,
  '--batch': { takes: 'number', otherwise: 'the auto batch, 16 at most with --quick', about: 'rows per batch' },
  '--positions': { takes: 'number', default: 5, about: 'prompt positions' },
  '--epochs': { takes: 'number', default: 2, about: 'E1, the shorter call' },
  ...RATE_FLAGS,
  ...QUICK,
  ...OUT_DIR,
  ...SUFFIX,
  '--profile': { about: "where an epoch's time goes instead (its flags: tune.js --profile --help)" },
});
const quick = a.has('--quick');
const device = a.text('--device');
const dtype = a.word('--dtype');
const models = a.list('--models');
const positions = a.num('--positions');
const epochs = a.num('--epochs');
const extraEpochs = a.num('--extra-epochs');
const minDeltaSeconds = a.num('--min-delta-s');
const reps = a.num('--reps');

const yard = await yardstick(device, dtype, quick);
const report: Record<string, unknown>[] = [];
for (const name of models) {
  const model = await loadModel(name, { device, dtype, tokenizer: false });
  const info = model.info;
  // What a sweep of many rows gets by default; --batch overrides; --quick caps it.
  const auto = autoBatchSize(info, positions, 1, 1 << 20);
  const batch = a.has('--batch') ? a.num('--batch') : quick ? Math.min(auto, 16) : auto;
  const point = await measureRate(
    model,
    { rows: batch, batchSize: batch, positions, epochs, extraEpochs, minDeltaSeconds, reps },
    yard,
  );
  // Batched vs sequential on the same rows and steps: a pure ratio of the same work. One row at
  // a time is slow on big models, so they take 3 steps (fixed costs then weigh a little more on
  // the batched side: the ratio errs low).
  const same = Math.min(batch, quick ? 8 : 64);
  const steps = info.parameters > 50e6 ? 3 : epochs + extraEpochs;
  const seq = await endToEnd(model, same, 1, steps);
  const bat = await endToEnd(model, same, same, steps);
  report.push({
    model: name,
    parameters: info.parameters,
    vocabSize: info.vocabSize,
    hiddenSize: info.hiddenSize,
    layers: info.layers,
    autoBatchSize: auto,
    ...point,
    batchedOverSequential: { rows: same, steps, batched: bat, sequential: seq, ratio: bat / seq },
  });
  model.dispose();
  memoryProbe(device).release();
}

async function endToEnd(
  model: Awaited<ReturnType<typeof loadModel>>,
  rows: number,
  batchSize: number,
  steps: number,
): Promise<number> {
  const targets = rampTargets(rows, model.info.vocabSize);
  const opts = {
    targets,
    method: 'soft' as const,
    prefixLength: positions,
    inits: 1,
    maxEpochs: steps,
    patience: steps,
    chunkEpochs: steps,
    batchSize,
    ban: 'none' as const,
  };
  // Warm-up at this batch size (one batch of rows, one step: not all rows one by one).
  await tune(model, {
    ...opts,
    targets: targets.subarray(0, batchSize * model.info.vocabSize),
    maxEpochs: 1,
    patience: 1,
    chunkEpochs: 1,
  });
  const t0 = performance.now();
  await tune(model, opts);
  return (rows * steps) / ((performance.now() - t0) / 1000);
}

const table = [
  ...yardstickTable(yard),
  '',
  `Tuner against model size (soft, ${positions} positions; marginal = rows·(E2−E1)/(t2−t1))`,
  '',
  '| model | params | batch | E1, E2 | marginal row-steps/s | end-to-end | GFLOP/s | of matmul | MiB/row | batched/sequential |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...report.map((r) => {
    const p = r as unknown as RatePoint & {
      model: string;
      parameters: number;
      batchedOverSequential: { rows: number; ratio: number };
    };
    const b = p.batchedOverSequential;
    return `| ${p.model} | ${(p.parameters / 1e6).toFixed(1)}M | ${p.batchSize} | ${p.epochs.join(', ')} | ${fmt(p.marginalRowStepsPerSecond)} | ${fmt(p.endToEndRowStepsPerSecond)} | ${fmt(p.achievedGflops)} | ${pct(p.fractionOfMatmul)} | ${mib(p.memoryPerRowBytes)} | ${b.ratio.toFixed(1)}× (${b.rows} rows) |`;
  }),
  ...report.flatMap((r) =>
    (r.warnings as string[]).length ? [`warning (${r.model}): ${(r.warnings as string[]).join('; ')}`] : [],
  ),
];
save(`tune-${deviceTag(device)}${a.text('--suffix')}`, { dtype, positions, yardstick: yard, report }, table);
