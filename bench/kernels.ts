// Fused vs unfused softmax-KL (forward + backward), and HotFlip top-k vs GEMM + full sort,
// as ratios measured in one run. Memory: bytes of [rows, V] buffers each path allocates
// (unfused: log-softmax, p·log q product and its gradient chain; fused: the gradient only).
// HotFlip is one [rows, d] × [d, V] GEMM plus a selection, so its GFLOP/s is also given as a
// fraction of the best plain float32 matmul of this run (the yardstick in bench/common.ts).
import { native } from '../lib/native/index.js';
import { benchNative, deviceTag, memoryProbe, save, timeIt, yardstick, yardstickTable } from './common.js';

import { args, DEVICE, OUT_DIR, QUICK } from './flags.js';

const a = args('kernels.js', { ...DEVICE, ...QUICK, ...OUT_DIR });
const device = a.text('--device');
const quick = a.has('--quick');
const shapes: [number, number][] = quick
  ? [[64, 50257]]
  : [
      [64, 50257],
      [64, 128256],
      [1024, 50257],
      [1024, 128256],
    ];
const yard = await yardstick(device, 'float32', quick);
const rows: Record<string, unknown>[] = [];
const probe = memoryProbe(device);
const table = [
  '| rows | V | fused ms | unfused ms | speed-up | peak [R,V] buffers fused vs unfused |',
  '|---|---|---|---|---|---|',
];
for (const [R, V] of shapes) {
  // Timed natively on tensors already on the device: the kernels alone, not the copies of
  // [rows, V] arrays to and from JavaScript (which dominated, and varied with V8's memory).
  const reps = R * V > 3e7 ? 3 : 10;
  const fused = await benchNative().klSeconds({ rows: R, vocab: V, device, reps });
  const unfused = await benchNative().klSeconds({ rows: R, vocab: V, device, reps, reference: true });
  // Memory: the peak of [R, V] float32 buffers during one forward + backward, measured by the
  // allocator (both include the logits and the target the timing made).
  const buffers = async (reference: boolean) => {
    probe.release();
    const before = probe.allocated();
    probe.resetPeak();
    await benchNative().klSeconds({ rows: R, vocab: V, device, reps: 1, reference });
    return (probe.peak() - before) / (R * V * 4);
  };
  const fusedBuffers = await buffers(false);
  const unfusedBuffers = await buffers(true);
  const memoryRatio = unfusedBuffers / fusedBuffers;
  rows.push({
    rows: R,
    vocab: V,
    fusedSeconds: fused,
    unfusedSeconds: unfused,
    speedup: unfused / fused,
    fusedBuffers,
    unfusedBuffers,
    memoryRatio,
  });
  table.push(
    `| ${R} | ${V} | ${(fused * 1e3).toFixed(1)} | ${(unfused * 1e3).toFixed(1)} | ${(unfused / fused).toFixed(2)}× | ${fusedBuffers.toFixed(1)} vs ${unfusedBuffers.toFixed(1)} (${memoryRatio.toFixed(1)}×) |`,
  );
}
// HotFlip is timed through the array API: the copies of grad/current/embeddings are in both timings alike.
const hot: Record<string, unknown>[] = [];
table.push(
  '',
  '| rows | V | hidden | k | top-k ms | full sort ms | speed-up | top-k GEMM GFLOP/s | of matmul |',
  '|---|---|---|---|---|---|---|---|---|',
);
for (const [R, V, d, k] of quick
  ? [[64, 50257, 64, 32]]
  : [
      [64, 50257, 768, 32],
      [256, 128256, 256, 256],
    ]) {
  const grad = Float32Array.from({ length: R * d }, (_, i) => Math.sin(i));
  const current = Float32Array.from({ length: R * d }, (_, i) => Math.cos(i));
  const embeddings = Float32Array.from({ length: V * d }, (_, i) => Math.sin(i * 0.1));
  const fast = await timeIt(
    () => native().hotflipTopK({ grad, current, embeddings, rows: R, hidden: d, vocab: V, k, device }),
    2,
  );
  const slow = await timeIt(
    () => native().hotflipTopK({ grad, current, embeddings, rows: R, hidden: d, vocab: V, k, device, reference: true }),
    2,
  );
  // Counted as the GEMM alone (the selection is extra work), timed with the JS→native copies.
  const gflops = (2 * R * d * V) / fast / 1e9;
  hot.push({
    rows: R,
    vocab: V,
    hidden: d,
    k,
    topkSeconds: fast,
    fullSortSeconds: slow,
    speedup: slow / fast,
    gemmGflops: gflops,
    fractionOfMatmul: gflops / yard.bestGflops,
  });
  table.push(
    `| ${R} | ${V} | ${d} | ${k} | ${(fast * 1e3).toFixed(1)} | ${(slow * 1e3).toFixed(1)} | ${(slow / fast).toFixed(2)}× | ${gflops.toFixed(1)} | ${((100 * gflops) / yard.bestGflops).toFixed(1)}% |`,
  );
}
table.push('', ...yardstickTable(yard));
save(`kernels-${deviceTag(device)}`, { yardstick: yard, kl: rows, hotflip: hot }, table);
