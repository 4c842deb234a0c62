// Each kernel choice (lib/native/types-model.ts KernelChoice) on against off, on the method and
// model where it matters: the marginal row-epochs/s of the same rows with the choice on and off
// (bench/tune-rate.ts, interleaved so that a shared machine's load falls on both), the ratio,
// and the largest difference in the rows' best KL between the two — what decides a default.
// Flags: node dist/bench/kernel-choices.js --help.
import { loadModel } from '../lib/model/load.js';
import { KERNEL_CHOICES, type KernelChoice } from '../lib/native/types-model.js';
import { autoBatchSize } from '../lib/tune/batch-size.js';
import { flopsPerRowEpoch } from '../lib/tune/flops.js';
import { tune } from '../lib/tune/index.js';
import { deviceTag, memoryProbe, save, yardstick, yardstickTable } from './common.js';
import { args, DEVICE, DTYPE, OUT_DIR, QUICK } from './flags.js';
import { fmt, measureRate, rampTargets } from './tune-rate.js';

// Where each choice matters: HotFlip candidates (k = 8) for the shared targets, a grouped-query
// model for attention and RMSNorm. On the GPU the study's model; on CPU ones two cores can run.
const a = args('kernel-choices.js', {
  ...DEVICE,
  ...DTYPE,
  '--choices': {
    takes: 'list',
    default: KERNEL_CHOICES.join(','),
    oneOf: KERNEL_CHOICES,
    about: 'the kernel choices to compare',
  },
  '--model': {
    takes: 'text',
    default: 'random:demo',
    gpu: 'random:llama-3-8b',
    needs: { '--choices': 'sharedTargets' },
    about: 'the model of the shared targets',
  },
  '--gqa-model': {
    takes: 'text',
    default: 'random:qwen2.5-0.5b',
    quick: 'random:tiny-llama3',
    gpu: 'random:llama-3-8b',
    needs: { '--choices': ['groupedAttention', 'fusedRmsNorm'] },
    about: 'the grouped-query model of attention and RMSNorm',
  },
  '--batch': {
    takes: 'number',
    otherwise: 'the auto batch, at most 64 on a CPU and 8 with --quick',
    about: 'rows per batch',
  },
  ...QUICK,
  ...OUT_DIR,
});
const quick = a.has('--quick');
const device = a.text('--device');
const dtype = a.word('--dtype');
const gpu = device.startsWith('cuda');
const model = a.text('--model');
const gqaModel = a.text('--gqa-model');
const choices = a.words('--choices');
const positions = 5;
const plan: Record<keyof KernelChoice, { model: string; method: 'soft' | 'hard'; candidates: number }> = {
  sharedTargets: { model, method: 'hard', candidates: 8 },
  groupedAttention: { model: gqaModel, method: 'soft', candidates: 1 },
  fusedRmsNorm: { model: gqaModel, method: 'soft', candidates: 1 },
};

const yard = await yardstick(device, dtype, quick);
const report: Record<string, unknown>[] = [];
for (const choice of choices) {
  const p = plan[choice];
  const pattern = p.method === 'hard' ? 'H'.repeat(positions) : 'S'.repeat(positions);
  const models = {
    off: await loadModel(p.model, { device, dtype, tokenizer: false, kernels: { [choice]: false } }),
    on: await loadModel(p.model, { device, dtype, tokenizer: false, kernels: { [choice]: true } }),
  };
  const info = models.on.info;
  const auto = autoBatchSize(info, positions, p.candidates, 1 << 20);
  const batch = a.has('--batch') ? a.num('--batch') : quick ? Math.min(auto, 8) : Math.min(auto, gpu ? auto : 64);
  const targets = rampTargets(batch, info.vocabSize);
  const rate = { off: [] as (number | null)[], on: [] as (number | null)[] };
  for (let rep = 0; rep < (quick ? 1 : 2); rep++)
    for (const side of ['off', 'on'] as const) {
      const point = await measureRate(
        models[side],
        {
          rows: batch,
          batchSize: batch,
          positions,
          epochs: 1,
          extraEpochs: quick ? 1 : 2,
          minDeltaSeconds: quick ? 0.25 : 1,
          targets,
          tune: { method: p.method, candidates: p.candidates },
          flopsPerRowEpoch: flopsPerRowEpoch(info, pattern, p.candidates),
        },
        yard,
      );
      rate[side].push(point.marginalRowStepsPerSecond);
    }
  // Same rows, same seeds, a few epochs each: the results the two paths reach.
  const best = async (side: 'off' | 'on') => {
    const records = await tune(models[side], {
      method: p.method,
      candidates: p.candidates,
      targets: targets.subarray(0, Math.min(batch, 8) * info.vocabSize),
      prefixLength: positions,
      inits: 1,
      maxEpochs: 3,
      seed: 1,
      ban: 'none',
    });
    return records.map((row) => row.klNats);
  };
  const [klOff, klOn] = [await best('off'), await best('on')];
  const maxKlDiff = Math.max(...klOff.map((k, i) => Math.abs(k - klOn[i])));
  const fastest = (xs: (number | null)[]) => Math.max(...xs.map((x) => x ?? 0)) || null;
  const off = fastest(rate.off),
    on = fastest(rate.on);
  report.push({
    choice,
    model: p.model,
    method: `${p.method}${p.candidates > 1 ? `:k=${p.candidates}` : ''}`,
    batch,
    off,
    on,
    ratio: off && on ? on / off : null,
    maxKlDiff,
  });
  console.log(
    `${choice} on ${p.model}: off ${fmt(off)}, on ${fmt(on)} row-epochs/s; max |ΔKL| ${maxKlDiff.toExponential(2)}`,
  );
  models.off.dispose();
  models.on.dispose();
  memoryProbe(device).release();
}

const table = [
  ...yardstickTable(yard),
  '',
  `Kernel choices (${positions} positions; marginal row-epochs/s, fastest of the interleaved repeats; ΔKL over 3 epochs of 8 rows)`,
  '',
  '| choice | model | method | batch | off | on | on / off | max abs ΔKL |',
  '|---|---|---|---|---|---|---|---|',
  ...report.map(
    (r) =>
      `| ${r.choice} | ${r.model} | ${r.method} | ${r.batch} | ${fmt(r.off as number | null)} | ${fmt(r.on as number | null)} | ${r.ratio === null ? '–' : (r.ratio as number).toFixed(2)} | ${(r.maxKlDiff as number).toExponential(1)} |`,
  ),
];
save(`kernel-choices-${deviceTag(device)}`, { dtype, positions, yardstick: yard, report }, table);
