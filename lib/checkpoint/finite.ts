// Counts NaN and ±Inf values in the weights a model reads: a checkpoint that holds them loads
// and runs, but every result from it is NaN or meaningless, so the loader warns, naming them.
// One streaming pass over the bytes, in chunks.
import type { NativeCheckpointFile, NativeTensorEntry } from '../native/types-model.js';
import { eachTensor } from './tensor-reads.js';

export interface NonFinite {
  path: string;
  tensor: string;
  /** NaN or ±Inf values */
  count: number;
  elements: number;
}

const CHUNK = 16 << 20; // a multiple of every element size

// A value is non-finite when its exponent bits are all ones: masked, plus one exponent step,
// that carries into the sign position. One 32-bit word holds one F32 or two 16-bit values; the
// 16-bit halves cannot carry into each other, so one add tests both, without a branch.
const TEST: Record<NativeTensorEntry['dtype'], { mask: number; step: number }> = {
  F32: { mask: 0x7f800000, step: 0x00800000 },
  F16: { mask: 0x7c007c00, step: 0x04000400 },
  BF16: { mask: 0x7f807f80, step: 0x00800080 },
};

function countWords(words: Uint32Array, mask: number, step: number): number {
  let n = 0;
  for (let i = 0; i < words.length; i++) {
    const x = ((words[i] & mask) + step) & 0x80008000;
    n += ((x >>> 15) & 1) + (x >>> 31);
  }
  return n;
}

export async function findNonFinite(files: NativeCheckpointFile[]): Promise<NonFinite[]> {
  const found: NonFinite[] = [];
  const buf = new Uint8Array(new ArrayBuffer(CHUNK));
  await eachTensor(files, async (t, path, readAt) => {
    let count = 0;
    for (let at = t.begin; at < t.end; at += CHUNK) {
      const len = Math.min(CHUNK, t.end - at);
      await readAt(buf, at, len);
      // An odd 16-bit value at the end is tested as a word whose upper half is zero.
      if (len % 4 !== 0) buf.fill(0, len, len + 2);
      const { mask, step } = TEST[t.dtype];
      count += countWords(new Uint32Array(buf.buffer, 0, Math.ceil(len / 4)), mask, step);
    }
    if (count > 0)
      found.push({ path, tensor: t.name, count, elements: (t.end - t.begin) / (t.dtype === 'F32' ? 4 : 2) });
  });
  return found;
}
