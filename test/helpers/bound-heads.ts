// Tiny random output layers for the head-bound tests: the head as the addon takes it and the
// same numbers in float64 for the independent solvers.
import type { HeadSpec } from '../../lib/bound/index.js';
import type { PlainHead } from './bound-reference.js';
import { rng } from './dist.js';

export const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

/**
 * A target over V tokens: softmax(scale · noise), near-uniform (small scale, the ball's optimum
 * inside) or peaked; with `mass`, that share moved onto token 0 (an outlier target).
 */
export function noisyTarget(V: number, scale: number, seed: number, mass = 0): number[] {
  const r = rng(seed);
  const z = Array.from({ length: V }, () => gauss(r) * scale);
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, x) => a + x, 0);
  return e.map((x, i) => (x / s) * (1 - mass) + (i === 0 ? mass : 0));
}

export interface Case {
  head: HeadSpec;
  plain: PlainHead;
}

export function makeHead(
  V: number,
  d: number,
  norm: 'layernorm' | 'rmsnorm',
  withBias: boolean,
  seed: number,
  scale = 1,
): Case {
  const r = rng(seed);
  const W = Float32Array.from({ length: V * d }, () => gauss(r) * scale);
  const gamma = Float32Array.from({ length: d }, () => 0.5 + r());
  const beta = norm === 'layernorm' ? Float32Array.from({ length: d }, () => gauss(r) * 0.3) : undefined;
  const bias = withBias ? Float32Array.from({ length: V }, () => gauss(r) * 0.5) : undefined;
  const f64 = (a?: Float32Array) => (a ? Float64Array.from(a) : undefined);
  return {
    head: { W, vocab: V, hidden: d, norm, gamma, ...(beta ? { beta } : {}), ...(bias ? { bias } : {}) },
    plain: { W: Float64Array.from(W), V, d, norm, gamma: f64(gamma), beta: f64(beta), bias: f64(bias) },
  };
}
