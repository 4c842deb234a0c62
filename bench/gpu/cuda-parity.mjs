#!/usr/bin/env node
// The model and the tuner on the GPU against the CPU, same weights, same inputs. The test suite
// cannot show this: test/parity-golden.test.ts and test/tune.test.ts load their models on the
// default device ('cpu'), so on a CUDA build they pass without running a model on the GPU (only
// test/kernels.test.ts has a CUDA case: the fused KL and HotFlip kernels). CPU matches Hugging
// Face (the golden tests); here the GPU must match the CPU:
//   - every test/fixtures/hf-golden checkpoint: logits, hidden state, KL and its embedding
//     gradient in float32 (relative error < 1e-4, the golden tests' tolerance), and logits in
//     bfloat16 against float32 (< 5e-2, reported);
//   - the tuner on random:micro: soft-prompt minima per (target, init) within 1e-3 relative,
//     HotFlip prompts reported as the fraction identical, a bfloat16 run finite.
// Usage (from the repository root, after `npm run build`):
//   node bench/gpu/cuda-parity.mjs [--device cuda] [--out bench/results/cuda-parity-cuda.json]
// --device cpu compares the CPU with itself: a dry run of this script (bench/gpu/run.sh's rehearsal).
import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..', '..');

// Its flags as every benchmark's (bench/flags.ts): an unknown one is refused before anything loads.
const { args, DEVICE } = await import(pathToFileURL(join(root, 'dist', 'bench', 'flags.js')).href);
const flags = args('bench/gpu/cuda-parity.mjs', {
  '--device': {
    ...DEVICE['--device'],
    default: 'cuda',
    about: 'the device compared with the CPU: cuda or cuda:N (cpu: a dry run)',
  },
  '--out': { takes: 'text', otherwise: 'bench/results/cuda-parity-<device>.json', about: 'where the JSON goes' },
});
const device = flags.text('--device');
const out = flags.has('--out')
  ? flags.text('--out')
  : join(root, 'bench', 'results', `cuda-parity-${device.replace(':', '')}.json`);
const { loadModel, tune, buildInfo } = await import(pathToFileURL(join(root, 'dist', 'lib', 'index.js')).href);

const relError = (a, b) => {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale + 1e-12);
};
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
function targets(rows, vocab, seed, scale = 4) {
  const r = rng(seed);
  const t = new Float32Array(rows * vocab);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let v = 0; v < vocab; v++) s += t[i * vocab + v] = Math.exp((r() * 2 - 1) * scale);
    for (let v = 0; v < vocab; v++) t[i * vocab + v] /= s;
  }
  return t;
}

const failures = [];
const check = (name, value, tol) => {
  const ok = Number.isFinite(value) && value < tol;
  if (!ok) failures.push(`${name}: ${value} (tolerance ${tol})`);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${value.toExponential(2)} (< ${tol})`);
  return value;
};

const info = buildInfo();
console.log(
  `device ${device}; build: torch ${info.torchVersion}, CUDA build ${info.cudaBuild}, CUDA devices ${info.cudaDevices}`,
);
const report = { date: new Date().toISOString(), device, build: info, checkpoints: [], tune: {} };

// 1. Checkpoints
const golden = join(root, 'test', 'fixtures', 'hf-golden');
for (const name of readdirSync(golden).filter((d) => existsSync(join(golden, d, 'config.json')))) {
  const dir = join(golden, name);
  const cpu = await loadModel(dir, { tokenizer: false });
  const gpu = await loadModel(dir, { device, tokenizer: false });
  const half = await loadModel(dir, { device, dtype: 'bfloat16', tokenizer: false });
  try {
    const V = cpu.info.vocabSize;
    const rows = 4;
    const positions = 6;
    const ids = Int32Array.from({ length: rows * positions }, (_, i) => (i * 7919 + 13) % V);
    const embeds = await cpu.embed({ ids, rows, positions });
    const target = targets(rows, V, 11);
    const row = { name, family: cpu.info.family };
    row.logits = check(
      `${name} logits`,
      relError(await gpu.logits({ ids, rows, positions }), await cpu.logits({ ids, rows, positions })),
      1e-4,
    );
    row.hidden = check(
      `${name} hidden`,
      relError(await gpu.hidden({ embeds, rows, positions }), await cpu.hidden({ embeds, rows, positions })),
      1e-4,
    );
    const a = await cpu.klGradient({ embeds, rows, positions, target });
    const b = await gpu.klGradient({ embeds, rows, positions, target });
    row.kl = check(`${name} KL`, relError(b.klNats, a.klNats), 1e-4);
    row.gradEmbeds = check(`${name} dKL/dembeds`, relError(b.gradEmbeds, a.gradEmbeds), 1e-4);
    row.bf16Logits = check(
      `${name} bfloat16 logits vs float32`,
      relError(await half.logits({ ids, rows, positions }), await cpu.logits({ ids, rows, positions })),
      5e-2,
    );
    report.checkpoints.push(row);
  } finally {
    cpu.dispose();
    gpu.dispose();
    half.dispose();
  }
}

// 2. Tuner
const cpu = await loadModel('random:micro', { seed: 7, tokenizer: false });
const gpu = await loadModel('random:micro', { seed: 7, device, tokenizer: false });
const V = cpu.info.vocabSize;
const T = targets(6, V, 5, 3);
const key = (r) => `${r.targetId}|${r.initId}`;
const soft = { targets: T, method: 'soft', inits: 4, maxEpochs: 30, patience: 30, batchSize: 8 };
const [sc, sg] = [await tune(cpu, soft), await tune(gpu, soft)];
const byKey = new Map(sc.map((r) => [key(r), r]));
let softRel = 0;
let sameBest = 0;
for (const r of sg) {
  const c = byKey.get(key(r));
  softRel = Math.max(softRel, Math.abs(r.klNats - c.klNats) / Math.max(1e-6, Math.abs(c.klNats)));
  if (r.bestEpoch === c.bestEpoch) sameBest++;
}
report.tune.soft = {
  rows: sg.length,
  maxRelKl: check('tune soft: KL minima per row', softRel, 1e-3),
  sameBestEpoch: sameBest / sg.length,
};
const hard = { targets: T, method: 'hard', candidates: 4, inits: 2, maxEpochs: 8, patience: 8, batchSize: 8 };
const [hc, hg] = [await tune(cpu, hard), await tune(gpu, hard)];
const hardKey = new Map(hc.map((r) => [key(r), r]));
const same = hg.filter(
  (r) => Array.from(r.promptIds).join() === Array.from(hardKey.get(key(r)).promptIds).join(),
).length;
report.tune.hard = { rows: hg.length, samePrompt: same / hg.length };
console.log(`info tune hard (HotFlip k=4): ${same}/${hg.length} rows found the same prompt on ${device} as on cpu`);
const gpuHalf = await loadModel('random:micro', { seed: 7, device, dtype: 'bfloat16', tokenizer: false });
const bf = await tune(gpuHalf, soft);
const bfFinite = bf.every((r) => Number.isFinite(r.klNats));
if (!bfFinite) failures.push('tune bfloat16: a KL is not finite');
report.tune.bfloat16 = {
  rows: bf.length,
  finite: bfFinite,
  meanKl: bf.reduce((s, r) => s + r.klNats, 0) / bf.length,
  meanKlFloat32: sg.reduce((s, r) => s + r.klNats, 0) / sg.length,
};
console.log(
  `${bfFinite ? 'ok  ' : 'FAIL'} tune bfloat16: mean KL ${report.tune.bfloat16.meanKl.toFixed(4)} (float32 ${report.tune.bfloat16.meanKlFloat32.toFixed(4)})`,
);
for (const m of [cpu, gpu, gpuHalf]) m.dispose();

report.failures = failures;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(report, null, 2));
console.log(`\n${failures.length ? `FAILED: ${failures.length} check(s)` : 'all checks passed'}; written ${out}`);
process.exitCode = failures.length ? 1 : 0;
