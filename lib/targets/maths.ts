// Plain maths on distributions held as Float32Arrays or Float64Arrays (helpers for users and checks; batched
// synthesis runs natively).
import { TargetError } from '../model/target-error.js';

const LN2 = Math.log(2);

/** A library caller's distribution: a typed array, else an error naming the argument (not a TypeError deep inside). */
function checkRows(fn: string, name: string, p: unknown): asserts p is Float32Array | Float64Array {
  if (!(p instanceof Float32Array || p instanceof Float64Array))
    throw new TargetError(
      `${fn}: ${name} must be a Float32Array (or Float64Array) of probabilities, got ${p === null ? 'null' : typeof p}`,
    );
}

/** Entropy in bits of row `row` of p (rows × vocab); 0·log 0 = 0. */
export function entropyBits(p: Float32Array | Float64Array, vocab?: number, row = 0): number {
  checkRows('entropyBits', 'p', p);
  vocab ??= p.length;
  // A vocab or row outside p would read undefined values and return a quiet 0 bits.
  if (!Number.isInteger(vocab) || vocab < 1 || p.length % vocab !== 0)
    throw new TargetError(`entropyBits: vocab ${String(vocab)} does not divide p's ${p.length} values into rows`);
  if (!Number.isInteger(row) || row < 0 || row >= p.length / vocab)
    throw new TargetError(`entropyBits: row ${String(row)} is not one of p's ${p.length / vocab} rows`);
  let h = 0;
  for (let v = row * vocab; v < (row + 1) * vocab; v++) if (p[v] > 0) h -= p[v] * Math.log(p[v]);
  return h / LN2;
}

/** KL(p || q) in nats; +Infinity where p has mass that q does not. */
export function klNats(p: Float32Array | Float64Array, q: Float32Array | Float64Array): number {
  checkRows('klNats', 'p', p);
  checkRows('klNats', 'q', q);
  if (p.length !== q.length) throw new TargetError(`klNats: p has ${p.length} values, q ${q.length}`);
  let kl = 0;
  for (let v = 0; v < p.length; v++) {
    if (p[v] > 0) kl += q[v] > 0 ? p[v] * Math.log(p[v] / q[v]) : Infinity;
  }
  return kl;
}

/**
 * Appendix A: the largest mass m one token can hold at entropy h (bits) over `vocab` tokens,
 * solving −m log m − (1−m) log((1−m)/(V−1)) = h (the rest spread evenly), rounded DOWN to 0.01.
 */
export function outlierMassBound(hBits: number, vocab: number): number {
  if (!Number.isInteger(vocab) || vocab < 2)
    throw new TargetError(`outlierMassBound: vocab must be an integer of at least 2, got ${String(vocab)}`);
  // NaN or an entropy no distribution over vocab tokens has would bisect to a number that means nothing.
  if (!(hBits >= 0 && hBits <= Math.log2(vocab) + 1e-9))
    throw new TargetError(`outlierMassBound: hBits ${String(hBits)} is outside [0, log2 ${vocab}]`);
  const h = hBits * LN2;
  const f = (m: number) => -(m > 0 ? m * Math.log(m) : 0) - (m < 1 ? (1 - m) * Math.log((1 - m) / (vocab - 1)) : 0);
  // f falls from log V at m = 1/V to 0 at m = 1.
  let lo = 1 / vocab;
  let hi = 1;
  if (h >= f(lo)) return Math.floor(lo * 100) / 100;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > h) lo = mid;
    else hi = mid;
  }
  return Math.floor(lo * 100 + 1e-9) / 100;
}

/** xorshift-style seeded generator (53-bit seeds) for choices made in TypeScript. */
export function seededRandom(seed: number): () => number {
  let s = BigInt(seed) ^ 0x9e3779b97f4a7c15n;
  return () => {
    s ^= (s << 13n) & 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= (s << 17n) & 0xffffffffffffffffn;
    return Number(s & 0x1fffffffffffffn) / 2 ** 53;
  };
}

/** Softmax of one logits row, float64 maths, float32 out. */
export function softmax(logits: Float32Array, offset = 0, vocab = logits.length): Float32Array {
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) max = Math.max(max, logits[offset + v]);
  const out = new Float32Array(vocab);
  let sum = 0;
  const tmp = new Float64Array(vocab);
  for (let v = 0; v < vocab; v++) sum += tmp[v] = Math.exp(logits[offset + v] - max);
  for (let v = 0; v < vocab; v++) out[v] = tmp[v] / sum;
  return out;
}
