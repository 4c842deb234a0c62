// Should the auto batch use more of the device? For each model, the marginal row-steps/s of soft
// prompts at the batch autoBatchSize picks (half the free memory, capped; lib/tune/batch-size.ts)
// and at 2× and 4× it, as long as the larger batch's predicted memory (MiB/row measured at the
// auto batch) stays under --max-fraction (0.85) of the free memory. A larger batch that is
// faster by more than noise is the evidence for raising the cap or the memory fraction; the
// default stays as it is until a GPU run shows it.
// Flags: node dist/bench/batch.js --help.
import { loadModel } from '../lib/model/load.js';
import { autoBatchSize } from '../lib/tune/batch-size.js';
import { freeDeviceBytes } from '../lib/model/memory.js';
import { deviceTag, memoryProbe, mib, save, yardstick, yardstickTable } from './common.js';
import { args, DEVICE, DTYPE, modelsFlag, OUT_DIR, QUICK } from './flags.js';
import { fmt, measureRate, pct, RATE_FLAGS, type RatePoint } from './tune-rate.js';

const a = args('batch.js', {
  ...modelsFlag({ default: 'random:demo', quick: 'random:micro' }),
  ...DEVICE,
  ...DTYPE,
  '--factors': { takes: 'numbers', default: '2,4', about: 'the batches tried, as multiples of the auto batch' },
  '--max-fraction': { takes: 'number', default: 0.85, about: 'the largest share of free memory a batch may need' },
  // Each batch's pair timed twice and the fastest kept, as tune and scaling do: timed once, one
  // disturbed E1 call on a shared machine made a 4× batch read 2.27× the auto batch's rate.
  ...RATE_FLAGS,
  ...QUICK,
  ...OUT_DIR,
});
const quick = a.has('--quick');
const device = a.text('--device');
const dtype = a.word('--dtype');
const models = a.list('--models');
const factors = a.nums('--factors');
const maxFraction = a.num('--max-fraction');
const positions = 5;

const yard = await yardstick(device, dtype, quick);
type Row = RatePoint & { model: string; factor: number; overAuto: number | null; freeBytes: number };
const report: Row[] = [];
for (const name of models) {
  const model = await loadModel(name, { device, dtype, tokenizer: false });
  const free = freeDeviceBytes(device);
  const auto = autoBatchSize(model.info, positions, 1, 1 << 20);
  const at = (batch: number) =>
    measureRate(
      model,
      {
        rows: batch,
        batchSize: batch,
        positions,
        epochs: 2,
        extraEpochs: a.num('--extra-epochs'),
        minDeltaSeconds: a.num('--min-delta-s'),
        reps: a.num('--reps'),
      },
      yard,
    );
  const base = await at(auto);
  report.push({ model: name, factor: 1, overAuto: 1, freeBytes: free, ...base });
  for (const f of factors) {
    const batch = Math.round(auto * f);
    if (base.memoryPerRowBytes * batch > maxFraction * free) {
      console.log(`${name}: ${batch} rows would need ${mib(base.memoryPerRowBytes * batch)} MiB; stopping`);
      break;
    }
    const p = await at(batch);
    const ratio =
      p.marginalRowStepsPerSecond && base.marginalRowStepsPerSecond
        ? p.marginalRowStepsPerSecond / base.marginalRowStepsPerSecond
        : null;
    report.push({ model: name, factor: f, overAuto: ratio, freeBytes: free, ...p });
  }
  model.dispose();
  memoryProbe(device).release();
}

const table = [
  ...yardstickTable(yard),
  '',
  `Soft prompts at the auto batch and above it (${positions} positions; marginal row-steps/s)`,
  '',
  '| model | batch | × auto | row-steps/s | of matmul | over auto | MiB/row | free MiB |',
  '|---|---|---|---|---|---|---|---|',
  ...report.map(
    (r) =>
      `| ${r.model} | ${r.batchSize} | ${r.factor} | ${fmt(r.marginalRowStepsPerSecond)} | ${pct(r.fractionOfMatmul)} | ${r.overAuto === null ? '–' : r.overAuto.toFixed(2)} | ${mib(r.memoryPerRowBytes)} | ${mib(r.freeBytes)} |`,
  ),
];
save(`batch-${deviceTag(device)}`, { dtype, positions, maxFraction, yardstick: yard, report }, table);
