// Small float64 reference maths for tests: softmax of logits rows and KL(p || softmax(z)).
export function softmaxRow(logits: Float32Array, row: number, vocab: number): Float64Array {
  const out = new Float64Array(vocab);
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) max = Math.max(max, logits[row * vocab + v]);
  let sum = 0;
  for (let v = 0; v < vocab; v++) sum += out[v] = Math.exp(logits[row * vocab + v] - max);
  for (let v = 0; v < vocab; v++) out[v] /= sum;
  return out;
}

export function klRow(p: Float32Array, pRow: number, logits: Float32Array, zRow: number, vocab: number): number {
  const q = softmaxRow(logits, zRow, vocab);
  let kl = 0;
  for (let v = 0; v < vocab; v++) {
    const x = p[pRow * vocab + v];
    if (x > 0) kl += x * (Math.log(x) - Math.log(q[v]));
  }
  return kl;
}

/** A seeded xorshift32 stream of numbers in [0, 1): the tests' one source of pseudo-random values. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** A seeded distribution over `vocab` tokens: softmax of scaled pseudo-random logits. */
export function randomTarget(vocab: number, seed: number, scale: number): Float32Array {
  const p = new Float32Array(vocab);
  let s = seed >>> 0 || 1;
  let sum = 0;
  for (let v = 0; v < vocab; v++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const u = ((s >>> 0) / 2 ** 32) * 2 - 1;
    sum += p[v] = Math.exp(scale * u);
  }
  for (let v = 0; v < vocab; v++) p[v] /= sum;
  return p;
}
