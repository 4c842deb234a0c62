// What a checkpoint's weights hold, cheaply: samples of each tensor's bytes, for the model's
// identity. Headers alone (names, types, shapes) are the same for a base model and every
// fine-tune of it saved into the same folder, so a resume, a --reuse or a study's shared rows
// would take rows made with other weights as this model's. Reading every byte would add seconds
// per load of an 8B model; a fine-tune changes nearly every value, so fixed windows of each
// tensor tell two checkpoints apart as well, for a few MiB of reads.
import { createHash } from 'node:crypto';

import type { NativeCheckpointFile } from '../native/types-model.js';
import { eachTensor } from './tensor-reads.js';

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
  await eachTensor(files, async (t, _path, readAt) => {
    for (const [from, to] of digestWindows(t.begin, t.end)) {
      await readAt(buf, from, to - from);
      hash.update(buf.subarray(0, to - from));
    }
  });
  return hash.digest('hex');
}
