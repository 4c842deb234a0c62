// What stopping stalled hard rows saves (tune's stopStalled): the same rows searched with the
// study's budget and patience, stalled rows stopped (the default) and run on until patience,
// end to end. Reports row-epochs and seconds both ways, their ratio, and whether the results
// agree: the same prompts and bestEpoch, klNats within float rounding (the batch shrinks sooner
// when rows stop early, and rounding follows the batch's shape).
// Targets: vanilla, one per bit of entropy from 0.5 up to log2|V|, `--inits` each.
import { loadModel } from '../lib/model/load.js';
import type { Model } from '../lib/model/model.js';
import { STUDY_DEFAULTS } from '../lib/spec/defaults.js';
import { synthesizeTargets } from '../lib/targets/synthesize.js';
import { tune, type TuneRecord } from '../lib/tune/index.js';
import { deviceTag, memoryProbe, save } from './common.js';
import { methodBenchArgs } from './method-args.js';

const { a, quick, device, dtype, models, positions, methods } = methodBenchArgs({
  script: 'stalled.js',
  models: 'random:demo',
  quickModels: 'random:micro',
  methods: 'hard:k=1,hard:k=8',
  flags: {
    '--inits': { takes: 'number', default: 3, quick: 2, about: 'inits per target' },
    '--batch': { takes: 'number', default: 64, quick: 16, about: 'rows per batch' },
  },
});
const inits = a.num('--inits');
const batch = a.num('--batch');

interface Side {
  rowEpochs: number;
  seconds: number;
  reasons: Record<string, number>;
}

type Targets = Awaited<ReturnType<typeof synthesizeTargets>>['targets'];

async function side(model: Model, targets: Targets, m: (typeof methods)[number], stopStalled: boolean, warmUp = false) {
  const t0 = performance.now();
  const records = await tune(model, {
    targets,
    ...(warmUp ? { rows: [{ targetIndex: 0, initId: 0 }] } : {}),
    method: m.method,
    pattern: m.pattern,
    candidates: m.candidates,
    prefixLength: positions,
    inits,
    batchSize: batch,
    stopStalled,
  });
  const seconds = (performance.now() - t0) / 1000;
  const reasons: Record<string, number> = {};
  for (const r of records) reasons[r.stopReason] = (reasons[r.stopReason] ?? 0) + 1;
  const out: Side = { rowEpochs: records.reduce((s, r) => s + r.epochs, 0), seconds, reasons };
  return { out, byRow: new Map(records.map((r) => [r.rowId, r])) };
}

function agreement(on: Map<string, TuneRecord>, off: Map<string, TuneRecord>) {
  let prompts = 0;
  let bestEpochs = 0;
  let maxKlDiff = 0;
  for (const [id, r] of on) {
    const o = off.get(id)!;
    if (Array.from(r.promptIds).join() === Array.from(o.promptIds).join()) prompts++;
    if (r.bestEpoch === o.bestEpoch) bestEpochs++;
    maxKlDiff = Math.max(maxKlDiff, Math.abs(r.klNats - o.klNats));
  }
  return { rows: on.size, samePrompt: prompts, sameBestEpoch: bestEpochs, maxKlDiff };
}

const report: Record<string, unknown>[] = [];
const lines: string[] = [];
for (const name of models) {
  const model = await loadModel(name, { device, dtype, tokenizer: false });
  const bits: number[] = [];
  for (let b = 0.5; b < Math.log2(model.info.vocabSize); b += quick ? 3 : 1) bits.push(b);
  const made = await synthesizeTargets(model, { kind: 'vanilla', entropyBits: bits, seed: 1 });
  const targets = made.targets;
  for (const m of methods) {
    await side(model, targets, m, true, true); // warm-up: one row
    const off = await side(model, targets, m, false);
    const on = await side(model, targets, m, true);
    const agree = agreement(on.byRow, off.byRow);
    const row = {
      model: name,
      method: m.label,
      targets: bits.length,
      inits,
      batchSize: batch,
      patience: STUDY_DEFAULTS.patience,
      maxEpochs: STUDY_DEFAULTS.maxEpochs,
      stalledOn: on.out,
      stalledOff: off.out,
      rowEpochRatio: off.out.rowEpochs / on.out.rowEpochs,
      speedup: off.out.seconds / on.out.seconds,
      agreement: agree,
    };
    report.push(row);
    lines.push(
      `| ${name} | ${m.label} | ${agree.rows} | ${off.out.rowEpochs} → ${on.out.rowEpochs} (${row.rowEpochRatio.toFixed(2)}×) | ${off.out.seconds.toFixed(1)} → ${on.out.seconds.toFixed(1)} (${row.speedup.toFixed(2)}×) | ${on.out.reasons.stalled ?? 0} | ${agree.samePrompt}/${agree.rows}, ${agree.sameBestEpoch}/${agree.rows}, ${agree.maxKlDiff.toExponential(1)} |`,
    );
    console.log(lines.at(-1));
  }
  made.dispose();
  model.dispose();
  memoryProbe(device).release();
}

const table = [
  `Stalled hard rows stopped (default) against run on to patience (${positions} positions, patience ${STUDY_DEFAULTS.patience}, budget ${STUDY_DEFAULTS.maxEpochs}, ${batch} rows a batch)`,
  '',
  '| model | method | rows | row-epochs off → on | seconds off → on | stalled | same prompt, same bestEpoch, max ΔklNats |',
  '|---|---|---|---|---|---|---|',
  ...lines,
];
save(`stalled-${deviceTag(device)}`, { dtype, report }, table);
