// Every method's speed: soft, hard (HotFlip, k = 1 and k = 8) and hybrid (HHSSS) on each model,
// as marginal row-epochs/s at the batch tune() picks for that method (bench/tune-rate.ts), FLOPs
// counted per method (lib/tune/flops.ts: a hard or hybrid epoch is a forward/backward per
// position, HotFlip scores and k candidate forwards), the achieved fraction of this run's best
// matmul, and that fraction against the soft epoch's on the same model (1 = as efficient).
import { loadModel } from '../lib/model/load.js';
import { autoBatchSize } from '../lib/tune/batch-size.js';
import { flopsPerRowEpoch } from '../lib/tune/flops.js';
import { deviceTag, memoryProbe, save, yardstick, yardstickTable } from './common.js';
import { methodBenchArgs } from './method-args.js';
import { fmt, measureRate, pct, RATE_FLAGS, type RatePoint } from './tune-rate.js';

const { a, quick, device, dtype, models, positions, methods } = methodBenchArgs({
  script: 'methods.js',
  models: 'random:micro,random:demo',
  quickModels: 'random:micro',
  methods: 'soft,hard:k=1,hard:k=8,hybrid:HHSSS',
  flags: {
    '--batch': { takes: 'number', otherwise: 'the batch tune() picks, at most --max-batch', about: 'rows per batch' },
    '--max-batch': {
      takes: 'number',
      default: 1 << 20,
      quick: 16,
      needs: { '--batch': false },
      about: 'the largest batch taken without --batch',
    },
    // Each pair timed twice and the fastest kept, as batch.ts does: timed once, one disturbed
    // call on a shared machine skews its method's row of the table.
    '--reps': RATE_FLAGS['--reps'],
  },
});
const maxBatch = a.num('--max-batch');
const reps = a.num('--reps');

const yard = await yardstick(device, dtype, quick);
type Row = RatePoint & { model: string; method: string; ofSoft: number | null };
const report: Row[] = [];
for (const name of models) {
  const model = await loadModel(name, { device, dtype, tokenizer: false });
  let soft: number | null = null;
  for (const m of methods) {
    const auto = autoBatchSize(model.info, positions, m.candidates, 1 << 20);
    const batch = a.has('--batch') ? a.num('--batch') : Math.min(auto, maxBatch);
    const point = await measureRate(
      model,
      {
        rows: batch,
        batchSize: batch,
        positions,
        epochs: 1,
        extraEpochs: 2,
        minDeltaSeconds: quick ? 0.25 : 1,
        reps,
        tune: { method: m.method, pattern: m.pattern, candidates: m.candidates },
        flopsPerRowEpoch: flopsPerRowEpoch(model.info, m.pattern, m.candidates),
      },
      yard,
    );
    if (m.method === 'soft') soft = point.fractionOfMatmul;
    const ofSoft = soft && point.fractionOfMatmul !== null ? point.fractionOfMatmul / soft : null;
    report.push({ model: name, method: m.label, ofSoft, ...point });
    console.log(`${name} ${m.label}: ${fmt(point.marginalRowStepsPerSecond)} row-epochs/s at ${batch} rows`);
  }
  model.dispose();
  memoryProbe(device).release();
}

const table = [
  ...yardstickTable(yard),
  '',
  `Methods (${positions} positions; marginal row-epochs/s at the auto batch; GFLOP per row-epoch counted per method)`,
  '',
  '| model | method | batch | row-epochs/s | GFLOP/row-epoch | GFLOP/s | of matmul | of soft |',
  '|---|---|---|---|---|---|---|---|',
  ...report.map(
    (r) =>
      `| ${r.model} | ${r.method} | ${r.batchSize} | ${fmt(r.marginalRowStepsPerSecond)} | ${(r.flopsPerRowStep / 1e9).toFixed(4)} | ${fmt(r.achievedGflops)} | ${pct(r.fractionOfMatmul)} | ${r.ofSoft === null ? '–' : r.ofSoft.toFixed(2)} |`,
  ),
  ...report.flatMap((r) => (r.warnings.length ? [`warning (${r.model} ${r.method}): ${r.warnings.join('; ')}`] : [])),
];
save(`methods-${deviceTag(device)}`, { dtype, positions, yardstick: yard, report }, table);
