// Shared bits of the benchmarks: timing, the matmul yardstick, device memory,
// JSON + markdown output. Every figure a bench reports is a ratio against something measured in
// the same process, because absolute rates on a shared machine move between runs.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { native, type Addon } from '../lib/native/index.js';
import type { BenchAddon, ProfileAddon } from '../lib/native/types-bench.js';
import type { NativeDtype } from '../lib/native/types-model.js';
import { parseMethodLabel, resolveMethod, type ResolvedMethod } from '../lib/spec/methods.js';
import { savedRun } from './flags.js';

/** The addon with its benchmark-only exports (lib/native/types-bench.ts), which the library's Addon type leaves out. */
export const benchNative = (): Addon & BenchAddon & ProfileAddon => native() as Addon & BenchAddon & ProfileAddon;

/** --methods as method labels ('soft,hard:k=8,hybrid:HHSSS'), resolved for `positions` positions; `refuse` a bad one. */
export function methodsArg(labels: string[], positions: number, refuse: (what: string) => never): ResolvedMethod[] {
  return labels.map((label) => {
    const m = parseMethodLabel(label);
    if (typeof m === 'string') refuse(`--methods: ${m}`);
    return resolveMethod(m, positions);
  });
}

/** Median seconds of `reps` runs of `fn` after one warm-up. */
export async function timeIt(fn: () => Promise<unknown>, reps: number): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Writes `data` to --out-dir/`name`.json after what every results file says of its run, and prints `table`. */
export function save(name: string, data: object, table: string[]): string {
  const { outDir, device, quick } = savedRun();
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}.json`);
  // Written beside it and renamed: a run killed while writing (the GPU script's time limit) leaves
  // the file of the run before, never half a JSON that the results' readers would choke on.
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(
    tmp,
    JSON.stringify(
      { date: new Date().toISOString(), threads: native().buildInfo().threads, device, quick, ...data },
      null,
      2,
    ),
  );
  renameSync(tmp, file);
  console.log(table.join('\n'));
  console.log(`\nwritten ${file}`);
  return file;
}

export const deviceTag = (device: string) => device.replace(':', '');

// ---- The yardstick ------------------------------------------------------------------------
// "Fraction of a plain matmul" is only honest if the matmul is the best this machine does in
// that dtype, not one shape that happens to be slow (skinny GEMMs, caches): so several shapes,
// each timed into a preallocated output (the native side), and the maximum is the yardstick.

export interface MatmulShape {
  m: number;
  k: number;
  n: number;
  why: string;
}
export interface Yardstick {
  device: string;
  dtype: NativeDtype;
  shapes: (MatmulShape & { seconds: number; gflops: number })[];
  /** the best GFLOP/s of the shapes above: what "fraction of matmul" divides by */
  bestGflops: number;
}

export function yardstickShapes(device: string, quick: boolean): MatmulShape[] {
  const shapes: MatmulShape[] = [
    { m: 256, k: 768, n: 50257, why: 'GPT-2 LM head over 256 rows' },
    { m: 2048, k: 2048, n: 2048, why: 'square, fits the caches' },
  ];
  // 4096³ is 137 GFLOP: ~1 s per rep on 2 idle cores, too slow for --quick on a CPU.
  if (!quick || device !== 'cpu') shapes.push({ m: 4096, k: 4096, n: 4096, why: 'large square' });
  if (device !== 'cpu') shapes.push({ m: 8192, k: 8192, n: 8192, why: 'GPU-sized square' });
  return shapes;
}

export async function yardstick(device: string, dtype: NativeDtype, quick: boolean): Promise<Yardstick> {
  const shapes: Yardstick['shapes'] = [];
  for (const s of yardstickShapes(device, quick)) {
    // A GPU matmul takes milliseconds: more reps there to average out launch jitter.
    const reps = device === 'cpu' ? (quick ? 2 : 3) : 20;
    const seconds = await benchNative().matmulSeconds({ m: s.m, k: s.k, n: s.n, dtype, device, reps });
    shapes.push({ ...s, seconds, gflops: (2 * s.m * s.k * s.n) / seconds / 1e9 });
  }
  return { device, dtype, shapes, bestGflops: Math.max(...shapes.map((s) => s.gflops)) };
}

/**
 * GB/s of a large copy between two buffers on the device (read + write): the memory floor a
 * profile sets byte-bound parts against, measured in the same run as the matmul yardstick. On a
 * CPU, the best of a few memcpy's of 128 MiB from JavaScript: libtorch's copy_ reached a third of
 * that rate on 2 cores, and a floor is what the memory can do. On a GPU, libtorch's copy of 1 GiB
 * (an H100's L2 is 50 MB).
 */
export async function copyBandwidthGbs(device: string): Promise<number> {
  if (device === 'cpu') {
    const n = 1 << 24; // float64
    const src = new Float64Array(n).fill(1);
    const dst = new Float64Array(n);
    let best = Infinity;
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      dst.set(src);
      best = Math.min(best, performance.now() - t0);
    }
    return (2 * 8 * n) / (best / 1000) / 1e9;
  }
  const bytes = 1 << 30;
  const seconds = await benchNative().copySeconds({ bytes, device, reps: 20 });
  return (2 * bytes) / seconds / 1e9;
}

export function yardstickTable(y: Yardstick): string[] {
  return [
    `Yardstick (${y.device}, ${y.dtype}): best plain matmul = **${y.bestGflops.toFixed(1)} GFLOP/s**`,
    '',
    '| m | k | n | ms | GFLOP/s | |',
    '|---|---|---|---|---|---|',
    ...y.shapes.map(
      (s) => `| ${s.m} | ${s.k} | ${s.n} | ${(s.seconds * 1e3).toFixed(2)} | ${s.gflops.toFixed(1)} | ${s.why} |`,
    ),
  ];
}

// ---- Device memory ------------------------------------------------------------------------

export interface MemoryProbe {
  allocated(): number;
  peak(): number;
  resetPeak(): void;
  release(): void;
}

export function memoryProbe(device: string): MemoryProbe {
  const n = native();
  return {
    allocated: () => n.memoryStats(device).allocatedBytes,
    peak: () => n.memoryStats(device).peakBytes,
    resetPeak: () => n.resetPeakMemory(device),
    release: () => n.releaseCachedMemory(device),
  };
}

export const mib = (bytes: number | null | undefined) => (bytes == null ? '–' : (bytes / 2 ** 20).toFixed(2));
