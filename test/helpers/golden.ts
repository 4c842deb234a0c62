// Reads the hf-golden reference tensors (F32 and I64) for the parity tests. Test-only: the
// library's own reader (lib/checkpoint) accepts just the weight dtypes it can load.
import { readFileSync } from 'node:fs';

export interface GoldenTensor {
  shape: number[];
  f32?: Float32Array;
  i32?: Int32Array;
}

export function readGolden(path: string): Record<string, GoldenTensor> {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + n;
  const out: Record<string, GoldenTensor> = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const bytes = buf.subarray(base + e.data_offsets[0], base + e.data_offsets[1]);
    const copy = new Uint8Array(bytes).buffer;
    if (e.dtype === 'F32') out[name] = { shape: e.shape, f32: new Float32Array(copy) };
    else if (e.dtype === 'I64')
      out[name] = { shape: e.shape, i32: Int32Array.from(new BigInt64Array(copy), (x) => Number(x)) };
    else throw new Error(`golden: unexpected dtype ${e.dtype} for ${name}`);
  }
  return out;
}

/** max |a - b| / (max |b| + tiny): one relative error for a whole tensor. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale + 1e-12);
}
