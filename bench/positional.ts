// Hard and hybrid epochs with the prefix cache against the plain epoch: for each model and method
// (hard k = 1, hard k = 8, hybrid HHSSS by default), the same rows and epochs run both ways in
// this process; reported are the FLOPs per row-epoch of each (lib/tune/flops.ts) and the share
// the cache saves, row-epochs/s of each and their ratio, and whether both reached the same
// prompts and losses (exit 1 if not). End to end over the same rows: load and harvest weigh on
// both sides alike, so the speed ratio errs low.
// Usage: node dist/bench/positional.js [--models random:tiny-gpt2,random:demo] [--device cpu]
//        [--dtype float32] [--rows 16] [--epochs 3] [--positions 5] [--quick] [--out-dir DIR]
import { loadModel } from '../lib/model/load.js';
import type { Model } from '../lib/model/model.js';
import type { NativeDtype } from '../lib/native/types-model.js';
import { flopsPerPositionalEpoch } from '../lib/tune/flops.js';
import { tune, type TuneOptions, type TuneRecord } from '../lib/tune/index.js';
import { args, deviceTag, memoryProbe, save } from './common.js';
import { fmt, pct, rampTargets } from './tune-rate.js';

const a = args();
const quick = a.has('--quick');
const device = a.get('--device', 'cpu');
const dtype = a.get('--dtype', 'float32') as NativeDtype;
const models = a.list('--models', quick ? 'random:tiny-gpt2' : 'random:tiny-gpt2,random:demo,random:tiny-llama3');
const rows = a.num('--rows', quick ? 8 : 16);
const epochs = a.num('--epochs', quick ? 2 : 3);
const positions = a.num('--positions', 5);

const methods: { name: string; options: Partial<TuneOptions> }[] = [
  { name: 'hard k=1', options: { method: 'hard', candidates: 1 } },
  { name: 'hard k=8', options: { method: 'hard', candidates: 8 } },
  {
    name: `hybrid ${'HH' + 'S'.repeat(Math.max(0, positions - 2))}`,
    options: { method: 'hybrid', pattern: 'HH' + 'S'.repeat(Math.max(0, positions - 2)), candidates: 1 },
  },
];

async function run(model: Model, options: Partial<TuneOptions>, prefixCache: boolean) {
  const targets = rampTargets(rows, model.info.vocabSize);
  const opts = {
    targets,
    prefixLength: positions,
    inits: 1,
    maxEpochs: epochs,
    patience: epochs,
    chunkEpochs: epochs,
    batchSize: rows,
    ban: 'none' as const,
    ...options,
    prefixCache,
  };
  await tune(model, { ...opts, targets: targets.subarray(0, model.info.vocabSize), maxEpochs: 1 }); // warm-up
  const t0 = performance.now();
  const records = await tune(model, opts);
  const seconds = (performance.now() - t0) / 1000;
  const rowEpochs = records.reduce((s, r) => s + r.epochs, 0);
  return { records, seconds, rowEpochsPerSecond: rowEpochs / seconds };
}

/** Largest relative KL difference and the rows whose prompts differ, over the same rows. */
function agreement(plain: TuneRecord[], cached: TuneRecord[]) {
  const byRow = new Map(cached.map((r) => [r.rowId, r]));
  let worst = 0;
  let promptsDiffer = 0;
  for (const p of plain) {
    const c = byRow.get(p.rowId)!;
    worst = Math.max(worst, Math.abs(c.klNats - p.klNats) / Math.max(1, Math.abs(p.klNats)));
    if (Array.from(c.promptIds).join() !== Array.from(p.promptIds).join()) promptsDiffer++;
  }
  return { klMaxRelDiff: worst, promptsDiffer };
}

const tolerance = dtype === 'float32' ? 1e-4 : 1e-2;
const report: Record<string, unknown>[] = [];
let disagree = 0;
for (const name of models) {
  const model = await loadModel(name, { device, dtype, tokenizer: false });
  for (const m of methods) {
    const epoch = {
      pattern: m.options.pattern ?? 'H'.repeat(positions),
      candidates: m.options.candidates ?? 1,
    };
    const flopsPlain = flopsPerPositionalEpoch(model.info, { ...epoch, prefixCache: false });
    const flopsCached = flopsPerPositionalEpoch(model.info, { ...epoch, prefixCache: true });
    const plain = await run(model, m.options, false);
    const cached = await run(model, m.options, true);
    const agree = agreement(plain.records, cached.records);
    const ok = agree.klMaxRelDiff <= tolerance && agree.promptsDiffer === 0;
    if (!ok) disagree++;
    report.push({
      model: name,
      method: m.name,
      flopsPerRowEpoch: { plain: flopsPlain, cached: flopsCached, saved: 1 - flopsCached / flopsPlain },
      rowEpochsPerSecond: { plain: plain.rowEpochsPerSecond, cached: cached.rowEpochsPerSecond },
      speedRatio: cached.rowEpochsPerSecond / plain.rowEpochsPerSecond,
      ...agree,
      agree: ok,
    });
  }
  model.dispose();
  memoryProbe(device).release();
}

const table = [
  `Prefix cache against the plain positional epoch (${positions} positions, ${rows} rows × ${epochs} epochs, ${dtype} on ${device}; end to end)`,
  '',
  '| model | method | GFLOP/row-epoch plain | cached | saved | row-epochs/s plain | cached | speed ratio | agreement |',
  '|---|---|---|---|---|---|---|---|---|',
  ...report.map((r) => {
    const f = r.flopsPerRowEpoch as { plain: number; cached: number; saved: number };
    const s = r.rowEpochsPerSecond as { plain: number; cached: number };
    const agree = `${r.agree ? 'PASS' : 'FAIL'} (max rel Δ ${(r.klMaxRelDiff as number).toExponential(1)}, ${r.promptsDiffer as number} prompts differ)`;
    return `| ${r.model} | ${r.method} | ${fmt(f.plain / 1e9, 3)} | ${fmt(f.cached / 1e9, 3)} | ${pct(f.saved)} | ${fmt(s.plain)} | ${fmt(s.cached)} | ${(r.speedRatio as number).toFixed(2)}× | ${agree} |`;
  }),
];
save(`positional-${deviceTag(device)}`, { device, dtype, quick, positions, rows, epochs, report }, table);
if (disagree) {
  console.error(`${disagree} point(s) where the cached and plain epochs disagree beyond ${tolerance}`);
  process.exitCode = 1;
}
