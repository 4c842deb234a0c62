// Hard and hybrid epochs with the prefix cache against the plain epoch: for each model and method
// (hard k = 1, hard k = 8, hybrid HHSSS by default), the same rows and epochs run both ways in
// this process; reported are the FLOPs per row-epoch of each (lib/tune/flops.ts) and the share
// the cache saves, row-epochs/s of each and their ratio, and whether both reached the same
// prompts and losses. Both are the same search up to float rounding, and so is a row run alone
// or in a batch: HotFlip's argmax over the vocabulary can flip on a near tie under either, and
// the row then wanders apart (seen on random:gpt2 between the plain epoch at batch 1 and 8). So
// a few differing prompts are reported, not failed; exit 1 when over half the rows differ or a
// KL differs by more than 1% (a wrong cache, e.g. a misaligned causal mask, does both). End to end over the same rows: load and harvest weigh on
// both sides alike, so the speed ratio errs low. The two run alternately --reps times and the
// fastest of each counts; the process's CPU seconds are reported too, a fairer measure of the
// work on a machine shared with other jobs (wall time there moves with their load).
// Flags: node dist/bench/positional.js --help.
import { loadModel } from '../lib/model/load.js';
import type { Model } from '../lib/model/model.js';
import { flopsPerPositionalEpoch } from '../lib/tune/flops.js';
import { tune, type TuneOptions, type TuneRecord } from '../lib/tune/index.js';
import { deviceTag, memoryProbe, save } from './common.js';
import { args, DEVICE, DTYPE, modelsFlag, OUT_DIR, QUICK } from './flags.js';
import { fmt, pct, rampTargets } from './tune-rate.js';

const a = args('positional.js', {
  ...modelsFlag({ default: 'random:tiny-gpt2,random:demo,random:tiny-llama3', quick: 'random:tiny-gpt2' }),
  ...DEVICE,
  ...DTYPE,
  '--rows': { takes: 'number', default: 16, quick: 8, about: 'rows run both ways' },
  '--epochs': { takes: 'number', default: 3, quick: 2, about: 'epochs per row' },
  '--positions': { takes: 'number', default: 5, about: 'prompt positions' },
  '--reps': {
    takes: 'number',
    default: 3,
    quick: 1,
    about: 'times the two run alternately; the fastest of each counts',
  },
  ...QUICK,
  ...OUT_DIR,
});
const device = a.text('--device');
const dtype = a.word('--dtype');
const models = a.list('--models');
const rows = a.num('--rows');
const epochs = a.num('--epochs');
const positions = a.num('--positions');
const reps = a.num('--reps');

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
    stopStalled: false, // the cost of an epoch: a stalled hard row runs them all too
    ...options,
    prefixCache,
  };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const records = await tune(model, opts);
  const cpu = process.cpuUsage(cpu0);
  const rowEpochs = records.reduce((s, r) => s + r.epochs, 0);
  return {
    records,
    rowEpochs,
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

type Run = Awaited<ReturnType<typeof run>>;
type Rate = { rowEpochsPerSecond: number; rowEpochsPerCpuSecond: number };

/** Plain and cached alternately (after one warm-up each): the fastest wall and CPU time of each. */
async function compare(model: Model, options: Partial<TuneOptions>) {
  const best = { plain: [] as Run[], cached: [] as Run[] };
  await run(model, { ...options, maxEpochs: 1 }, false);
  await run(model, { ...options, maxEpochs: 1 }, true);
  for (let i = 0; i < reps; i++) {
    best.plain.push(await run(model, options, false));
    best.cached.push(await run(model, options, true));
  }
  const rate = (rs: Run[]) => ({
    rowEpochsPerSecond: Math.max(...rs.map((r) => r.rowEpochs / r.seconds)),
    rowEpochsPerCpuSecond: Math.max(...rs.map((r) => r.rowEpochs / r.cpuSeconds)),
  });
  return { plain: best.plain[0], cached: best.cached[0], plainRate: rate(best.plain), cachedRate: rate(best.cached) };
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

const tolerance = 1e-2;
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
    const { plain, cached, plainRate, cachedRate } = await compare(model, m.options);
    const agree = agreement(plain.records, cached.records);
    const ok = agree.klMaxRelDiff <= tolerance && agree.promptsDiffer <= rows / 2;
    if (!ok) disagree++;
    report.push({
      model: name,
      method: m.name,
      flopsPerRowEpoch: { plain: flopsPlain, cached: flopsCached, saved: 1 - flopsCached / flopsPlain },
      plain: plainRate,
      cached: cachedRate,
      speedRatio: cachedRate.rowEpochsPerSecond / plainRate.rowEpochsPerSecond,
      cpuRatio: cachedRate.rowEpochsPerCpuSecond / plainRate.rowEpochsPerCpuSecond,
      ...agree,
      agree: ok,
    });
  }
  model.dispose();
  memoryProbe(device).release();
}

const table = [
  `Prefix cache against the plain positional epoch (${positions} positions, ${rows} rows × ${epochs} epochs, ${dtype} on ${device}; end to end, fastest of ${reps})`,
  '',
  '| model | method | GFLOP/row-epoch plain | cached | saved | row-epochs/s plain | cached | speed ratio | CPU-time ratio | agreement |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...report.map((r) => {
    const f = r.flopsPerRowEpoch as { plain: number; cached: number; saved: number };
    const s = { plain: (r.plain as Rate).rowEpochsPerSecond, cached: (r.cached as Rate).rowEpochsPerSecond };
    const agree = `${r.agree ? 'PASS' : 'FAIL'} (max rel Δ ${(r.klMaxRelDiff as number).toExponential(1)}, ${r.promptsDiffer as number}/${rows} prompts differ)`;
    return `| ${r.model} | ${r.method} | ${fmt(f.plain / 1e9, 3)} | ${fmt(f.cached / 1e9, 3)} | ${pct(f.saved)} | ${fmt(s.plain)} | ${fmt(s.cached)} | ${(r.speedRatio as number).toFixed(2)}× | ${(r.cpuRatio as number).toFixed(2)}× | ${agree} |`;
  }),
];
save(`positional-${deviceTag(device)}`, { dtype, positions, rows, epochs, report }, table);
if (disagree) {
  console.error(`${disagree} point(s) where the cached and plain epochs disagree beyond ${tolerance}`);
  process.exitCode = 1;
}
