// What a checkpoint's identity costs at load: the weights digest (lib/checkpoint/digest.ts, 16
// windows of 4 KiB per tensor) against the NaN/Inf scan that reads every byte in the same load,
// on a synthetic float32 checkpoint of --gib GiB in tensors of --tensor-mib MiB (an 8B model has
// ~290 tensors of ~56 MiB). Each is timed --reps times from the page cache; the ratio is the point.
// Flags: node dist/bench/identity.js --help.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { findNonFinite, weightsDigest } from '../lib/checkpoint/index.js';
import type { NativeCheckpointFile } from '../lib/native/types-model.js';
import { save } from './common.js';
import { args, OUT_DIR } from './flags.js';

const a = args('identity.js', {
  '--gib': { takes: 'number', default: 1, about: "the checkpoint's size, GiB" },
  '--tensor-mib': { takes: 'number', default: 64, about: "each tensor's size, MiB" },
  '--reps': { takes: 'number', default: 3, about: 'times each is timed' },
  ...OUT_DIR,
});
const gib = a.num('--gib');
const tensorBytes = a.num('--tensor-mib') * 2 ** 20;
const reps = a.num('--reps');
const count = Math.max(1, Math.round((gib * 2 ** 30) / tensorBytes));

const dir = mkdtempSync(join(tmpdir(), 'distprompt-identity-bench-'));
try {
  const path = join(dir, 'weights.bin');
  const chunk = Buffer.alloc(tensorBytes);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0x3f; // finite float32 values
  const fd = openSync(path, 'w');
  for (let i = 0; i < count; i++) writeSync(fd, chunk);
  closeSync(fd);
  const tensors = Array.from({ length: count }, (_, i) => ({
    name: `t${i}`,
    dtype: 'F32' as const,
    shape: [tensorBytes / 4],
    begin: i * tensorBytes,
    end: (i + 1) * tensorBytes,
  }));
  const files: NativeCheckpointFile[] = [{ path, tensors }];
  const time = async (f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    return performance.now() - t;
  };
  await findNonFinite(files); // into the page cache
  const rows: Array<{ scanMs: number; digestMs: number }> = [];
  for (let r = 0; r < reps; r++)
    rows.push({ scanMs: await time(() => findNonFinite(files)), digestMs: await time(() => weightsDigest(files)) });
  const best = (k: 'scanMs' | 'digestMs') => Math.min(...rows.map((x) => x[k]));
  const ratio = best('digestMs') / best('scanMs');
  save('identity', { gib, tensors: count, tensorBytes, rows, ratio }, [
    `${gib} GiB in ${count} tensors: NaN/Inf scan ${best('scanMs').toFixed(0)} ms, weights digest ${best('digestMs').toFixed(1)} ms (${(100 * ratio).toFixed(1)}% of the scan)`,
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
