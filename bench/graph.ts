// CUDA graphs against eager epochs: where launch overhead dominates, one captured epoch replaces
// hundreds of kernel launches. For each model, method and batch size: the marginal row-steps/s of
// the usual epochs and of the same search replayed as a CUDA graph, their ratio, and whether both
// reach the same KL on the same rows (exit 1 if not). On the CPU there is nothing to capture: the
// second column is the fixed-shape epoch the graph would replay, uncaptured. Every slot is busy
// there; "with stops" then runs twice the batch's rows with a short patience, so that rows stop
// mid-chunk and slots refill, and compares live row-epochs/s end to end: what computing stopped
// and empty slots costs. Hard and hybrid methods capture only when asked (tune's cudaGraph: true).
// Flags: node dist/bench/graph.js --help.
import { loadModel } from '../lib/model/load.js';
import type { Model } from '../lib/model/model.js';
import type { ResolvedMethod } from '../lib/spec/methods.js';
import { autoBatchSize } from '../lib/tune/batch-size.js';
import { flopsPerRowEpoch } from '../lib/tune/flops.js';
import { tune, type TuneOptions } from '../lib/tune/index.js';
import { deviceTag, memoryProbe, methodsArg, save, yardstick, yardstickTable } from './common.js';
import { args, DEVICE, isNumber, DTYPE, modelsFlag, OUT_DIR, QUICK, SUFFIX } from './flags.js';
import { fmt, measureRate, pct, RATE_FLAGS, rampTargets, type RatePoint } from './tune-rate.js';

const a = args('graph.js', {
  ...modelsFlag({ default: 'random:micro,random:demo', gpu: 'random:gpt2,random:llama-3.2-1b' }),
  '--methods': { takes: 'list', default: 'soft', about: 'method labels (soft, hard:k=8, hybrid:HHSSS)' },
  '--batches': { takes: 'list', default: '16,64,auto', quick: '16', about: "batch sizes, 'auto' the one tune() picks" },
  ...DEVICE,
  ...DTYPE,
  '--positions': { takes: 'number', default: 5, about: 'prompt positions' },
  '--epochs': { takes: 'number', default: 3, about: 'E1, the shorter call' },
  ...RATE_FLAGS,
  ...QUICK,
  ...OUT_DIR,
  ...SUFFIX,
});
const quick = a.has('--quick');
const device = a.text('--device');
const cuda = device.startsWith('cuda');
const dtype = a.word('--dtype');
const models = a.list('--models');
const batchList = a.list('--batches');
for (const b of batchList)
  if (b !== 'auto' && !isNumber(b)) a.refuse(`--batches takes numbers and 'auto', given '${b}'`);
const positions = a.num('--positions');
const methods = methodsArg(a.list('--methods'), positions, a.refuse);
const epochs = a.num('--epochs');
const extraEpochs = a.num('--extra-epochs');
const minDeltaSeconds = a.num('--min-delta-s');
const reps = a.num('--reps');
const variant: Partial<TuneOptions> = cuda ? { cudaGraph: true } : { fixedShapes: true };
const variantName = cuda ? 'CUDA graph' : 'fixed shapes';

const tuneMethod = (m: ResolvedMethod): Partial<TuneOptions> =>
  m.method === 'soft' ? {} : { method: m.method, pattern: m.pattern, candidates: m.candidates };

/** Largest relative KL difference between the two ways over the same rows (same seeds). */
async function agreement(model: Model, m: ResolvedMethod, batch: number): Promise<number> {
  const steps = 12;
  const opts = {
    ...tuneMethod(m),
    targets: rampTargets(batch, model.info.vocabSize),
    prefixLength: positions,
    inits: 1,
    maxEpochs: steps,
    patience: steps,
    chunkEpochs: 4,
    batchSize: batch,
    ban: 'none' as const,
    // Every row runs all its epochs both ways: a stalled hard row that stopped eagerly but not in
    // the fixed-shape epoch would change the GEMMs' shapes, and on a GPU their rounding.
    stopStalled: false,
  };
  const eager = new Map((await tune(model, { ...opts, cudaGraph: false })).map((r) => [r.rowId, r.klNats]));
  let worst = 0;
  for (const r of await tune(model, { ...opts, ...variant })) {
    const e = eager.get(r.rowId)!;
    worst = Math.max(worst, Math.abs(r.klNats - e) / Math.max(1, Math.abs(e)));
  }
  return worst;
}

/**
 * Live row-epochs/s end to end, both ways, over 2 × batch rows that stop (patience 2) at
 * different epochs, mid-chunk, while queued rows refill their slots (fastest of reps).
 */
async function withStops(model: Model, m: ResolvedMethod, batch: number): Promise<{ eager: number; other: number }> {
  const opts = {
    ...tuneMethod(m),
    targets: rampTargets(2 * batch, model.info.vocabSize),
    prefixLength: positions,
    inits: 1,
    maxEpochs: 12,
    patience: 2,
    chunkEpochs: 4,
    batchSize: batch,
    ban: 'none' as const,
  };
  const rate = async (o: Partial<TuneOptions>) => {
    let best = 0;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      const records = await tune(model, { ...opts, ...o });
      const liveEpochs = records.reduce((s, r) => s + r.epochs, 0);
      best = Math.max(best, liveEpochs / ((performance.now() - t0) / 1000));
    }
    return best;
  };
  return { eager: await rate({ cudaGraph: false }), other: await rate(variant) };
}

const yard = await yardstick(device, dtype, quick);
// bfloat16 rounds every step's arithmetic; the two ways run the same kernels in the same order,
// so even there they should agree far inside this.
const tolerance = dtype === 'float32' ? 1e-4 : 1e-2;
const report: Record<string, unknown>[] = [];
let disagree = 0;
for (const name of models) {
  const model = await loadModel(name, { device, dtype, tokenizer: false });
  for (const m of methods) {
    const auto = autoBatchSize(model.info, positions, m.candidates, 1 << 20);
    for (const b of batchList) {
      const batch = b === 'auto' ? auto : Number(b);
      // Eager epochs explicitly: on CUDA the default is the graph.
      const base = {
        rows: batch,
        batchSize: batch,
        positions,
        epochs,
        extraEpochs,
        minDeltaSeconds,
        reps,
        flopsPerRowEpoch: flopsPerRowEpoch(model.info, m.pattern, m.candidates),
      };
      const eager = await measureRate(model, { ...base, tune: { ...tuneMethod(m), cudaGraph: false } }, yard);
      const other = await measureRate(model, { ...base, tune: { ...tuneMethod(m), ...variant } }, yard);
      const worst = await agreement(model, m, Math.min(batch, 64));
      if (!(worst <= tolerance)) disagree++;
      const ratio =
        eager.marginalRowStepsPerSecond && other.marginalRowStepsPerSecond
          ? other.marginalRowStepsPerSecond / eager.marginalRowStepsPerSecond
          : null;
      // Twice the batch's rows end to end: only for batches small enough to run that quickly.
      const stops = batch <= 64 ? await withStops(model, m, batch) : null;
      report.push({
        model: name,
        method: m.label,
        batch,
        auto: b === 'auto',
        eager,
        [cuda ? 'graph' : 'fixed']: other,
        ratio,
        withStops: stops && { ...stops, ratio: stops.other / stops.eager },
        klMaxRelDiff: worst,
        agree: worst <= tolerance,
      });
    }
  }
  model.dispose();
  memoryProbe(device).release();
}

const table = [
  ...yardstickTable(yard),
  '',
  `${variantName} against eager epochs (${positions} positions, ${dtype}; marginal row-epochs/s, rows·(E2−E1)/(t2−t1); with stops: live row-epochs/s end to end)`,
  '',
  `| model | method | batch | eager | of matmul | ${variantName} | of matmul | ratio | with stops: eager | ${variantName} | ratio | KL agreement |`,
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...report.map((r) => {
    const e = r.eager as RatePoint;
    const g = (r.graph ?? r.fixed) as RatePoint;
    const s = r.withStops as { eager: number; other: number; ratio: number } | null;
    const stops = s ? `${fmt(s.eager)} | ${fmt(s.other)} | ${s.ratio.toFixed(2)}×` : '– | – | –';
    const agree = `${r.agree ? 'PASS' : 'FAIL'} (max rel Δ ${(r.klMaxRelDiff as number).toExponential(1)})`;
    return `| ${r.model} | ${r.method} | ${r.batch}${r.auto ? ' (auto)' : ''} | ${fmt(e.marginalRowStepsPerSecond)} | ${pct(e.fractionOfMatmul)} | ${fmt(g.marginalRowStepsPerSecond)} | ${pct(g.fractionOfMatmul)} | ${r.ratio === null ? '–' : `${(r.ratio as number).toFixed(2)}×`} | ${stops} | ${agree} |`;
  }),
];
save(
  `graph-${deviceTag(device)}${a.text('--suffix')}`,
  { dtype, positions, variant: variantName, yardstick: yard, report },
  table,
);
if (disagree) {
  console.error(`${disagree} point(s) where ${variantName} and eager epochs disagree beyond ${tolerance}`);
  process.exitCode = 1;
}
