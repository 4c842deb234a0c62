// What a checkpoint's weights hold, cheaply: samples of each tensor's bytes, for the model's
// identity. Headers alone (names, types, shapes) are the same for a base model and every
// fine-tune of it saved into the same folder, so a resume, a --reuse or a study's shared rows
// would take rows made with other weights as this model's. Reading every byte would add seconds
// per load of an 8B model; a fine-tune changes nearly every value, so fixed windows of each
// tensor tell two checkpoints apart as well, for a few MiB of reads.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

import type { NativeCheckpointFile } from '../native/types-model.js';
import { CheckpointError } from './errors.js';

/** bytes read at each sample */
export const DIGEST_WINDOW = 4096;
/** samples per tensor, evenly spaced from its first byte to its last window */
export const DIGEST_SAMPLES = 16;

/** The byte ranges of a tensor [begin, end) that the digest reads: all of it when it is small. */
export function digestWindows(begin: number, end: number): Array<[number, number]> {
  const size = end - begin;
  if (size <= DIGEST_WINDOW * DIGEST_SAMPLES) return size > 0 ? [[begin, end]] : [];
  const last = size - DIGEST_WINDOW;
  return Array.from({ length: DIGEST_SAMPLES }, (_, i) => {
    const at = begin + Math.floor((last * i) / (DIGEST_SAMPLES - 1));
    return [at, at + DIGEST_WINDOW];
  });
}

/** sha256 (hex) over every tensor's windows, in file and tensor order. */
export async function weightsDigest(files: NativeCheckpointFile[]): Promise<string> {
  const hash = createHash('sha256');
  const buf = new Uint8Array(DIGEST_WINDOW * DIGEST_SAMPLES);
  for (const f of files) {
    if (f.tensors.length === 0) continue;
    let fh;
    try {
      fh = await open(f.path, 'r');
    } catch (e) {
      throw new CheckpointError('io', f.path, `cannot open: ${(e as Error).message}`);
    }
    try {
      for (const t of f.tensors)
        for (const [from, to] of digestWindows(t.begin, t.end)) {
          const { bytesRead } = await fh.read(buf, 0, to - from, from);
          if (bytesRead !== to - from)
            throw new CheckpointError(
              'truncated',
              f.path,
              `tensor '${t.name}': could read only ${bytesRead} of ${to - from} bytes at ${from} (was the file truncated?)`,
              t.name,
            );
          hash.update(buf.subarray(0, bytesRead));
        }
    } finally {
      await fh.close();
    }
  }
  return hash.digest('hex');
}
