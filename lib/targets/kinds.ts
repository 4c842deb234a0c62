// The study's target kinds. Vanilla and outlier targets are solved natively in one batch;
// lm-derived kinds run the model (or a source model) on seeded random prompts.
import type { Model } from '../model/model.js';
import { positionsProblem } from '../model/positions.js';
import { native } from '../native/index.js';
import { TARGET_DEFAULTS } from '../spec/defaults.js';
import { stableSeed } from '../ids/hash.js';
import { outlierMassBound, seededRandom } from './maths.js';
import { TargetError } from '../model/target-error.js';
import { inTargetWorker } from './offload.js';

const LN2 = Math.log(2);

export interface Made {
  probs: Float32Array; // count × vocab
  entropyBits: number[];
  extra: Record<string, unknown>[];
}

/**
 * How an error names this call's target j: its id (`ids`, given by a caller that makes a request
 * in native batches, or only the targets a store does not hold, where j says nothing), else j.
 */
const named = (ids: readonly string[] | undefined, j: number) => ids?.[j] ?? j;

function checkEntropy(h: number[], vocab: number, ids: readonly string[] | undefined): void {
  const max = Math.log2(vocab);
  h.forEach((x, i) => {
    if (!(x >= 0 && x <= max + 1e-9))
      throw new TargetError(
        `target ${named(ids, i)}: entropy ${x} bits is outside [0, log2 ${vocab} = ${max.toFixed(4)}]`,
      );
  });
}

/** Vanilla (Eq. 1, or the exact temperature method): seeded random logits pushed to entropy h. */
export async function vanilla(
  vocab: number,
  seeds: number[],
  hBits: number[],
  o: { method?: 'gradient' | 'temperature'; epsBits?: number; device?: string; ids?: readonly string[] } = {},
): Promise<Made> {
  checkEntropy(hBits, vocab, o.ids);
  const method = o.method ?? 'gradient';
  // The temperature method is exact up to its own tolerance unless asked otherwise.
  const epsBits = o.epsBits ?? (method === 'temperature' ? 1e-6 : TARGET_DEFAULTS.epsBits);
  const eps = epsBits * LN2;
  const r = await native().synthesizeEntropyTargets({
    vocab,
    seeds: Float64Array.from(seeds),
    entropyNats: Float64Array.from(hBits, (h) => h * LN2),
    method,
    eps,
    device: o.device,
  });
  // Copied on the addon's pool: tens of MB of fresh pages would hold the caller's loop.
  const probs = await r.targets.read();
  r.targets.dispose();
  const bad = Array.from(r.converged).findIndex((c) => !c);
  if (bad >= 0)
    throw new TargetError(
      `vanilla target ${named(o.ids, bad)} (h = ${hBits[bad]} bits) did not reach its entropy within ${epsBits} bits (got ${(r.entropyNats[bad] / LN2).toFixed(4)})`,
    );
  return {
    probs,
    entropyBits: Array.from(r.entropyNats, (x) => x / LN2),
    extra: Array.from(r.iterations, (it) => ({ iterations: it, method })),
  };
}

/** Outlier (Eq. 2–3): k seeded tokens hold at least m − δ, m from Appendix A. */
export async function outlier(
  vocab: number,
  seeds: number[],
  hBits: number[],
  k: number,
  o: { epsBits?: number; device?: string; delta?: number; ids?: readonly string[] } = {},
): Promise<Made> {
  checkEntropy(hBits, vocab, o.ids);
  if (!Number.isInteger(k) || k < 1 || k >= vocab)
    throw new TargetError(`outliers must be an integer in [1, ${vocab - 1}], got ${k}`);
  const delta = o.delta ?? 0.01;
  const ids = new Int32Array(seeds.length * k);
  seeds.forEach((s, i) => {
    // The outlier tokens' own stream, derived from all 53 bits of the target's seed (an int32 mix
    // such as s ^ c would keep only the low 32, and targets differing above them would share ids).
    const rand = seededRandom(stableSeed(s, 'outlier'));
    const chosen = new Set<number>();
    while (chosen.size < k) chosen.add(Math.floor(rand() * vocab));
    ids.set([...chosen], i * k);
  });
  // The bound is for one token; k tokens at entropy h can hold at least as much together.
  const m = hBits.map((h) => outlierMassBound(h, vocab));
  const r = await native().synthesizeEntropyTargets({
    vocab,
    seeds: Float64Array.from(seeds),
    entropyNats: Float64Array.from(hBits, (h) => h * LN2),
    method: 'gradient',
    eps: (o.epsBits ?? TARGET_DEFAULTS.epsBits) * LN2,
    device: o.device,
    outliers: ids,
    outlierCount: k,
    minMass: Float64Array.from(m, (x) => Math.max(0, x - delta)),
    // α ≫ β: the entropy constraint must hold to ε while β only keeps the outliers' mass up;
    // with α = β the optimum sits visibly off h (measured: 0.93 bits for h = 1).
    alpha: 100,
    beta: 1,
  });
  // Copied on the addon's pool: tens of MB of fresh pages would hold the caller's loop.
  const probs = await r.targets.read();
  r.targets.dispose();
  const bad = Array.from(r.converged).findIndex((c) => !c);
  if (bad >= 0) {
    throw new TargetError(
      `outlier target ${named(o.ids, bad)} (h = ${hBits[bad]} bits, m = ${m[bad]}) did not converge: entropy ${(r.entropyNats[bad] / LN2).toFixed(4)} bits, outlier mass ${r.outlierMass[bad].toFixed(4)}`,
    );
  }
  return {
    probs,
    entropyBits: Array.from(r.entropyNats, (x) => x / LN2),
    extra: seeds.map((_, i) => ({
      outliers: k,
      outlierIds: Array.from(ids.subarray(i * k, (i + 1) * k)),
      m: m[i],
      outlierMass: r.outlierMass[i],
      delta,
    })),
  };
}

/**
 * A seeded random prompt of `length` tokens, where the tokenizer is known excluding special tokens
 * and the ids no token has (Qwen2.5's embedding rows past its 151665 tokens): the distribution
 * after a row no text can reach is no language model's next-token distribution.
 */
export function randomPrompt(model: Model, seed: number, length: number): Int32Array {
  const rand = seededRandom(seed);
  const special = model.tokenizer?.specialIds ?? new Set<number>();
  const unused = model.tokenizer?.unusedIds ?? new Set<number>();
  const ids = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    let id: number;
    do id = Math.floor(rand() * model.info.vocabSize);
    while (special.has(id) || unused.has(id));
    ids[i] = id;
  }
  return ids;
}

/** lm: the model's own next-token distribution after seeded random prompts. */
export async function lm(model: Model, seeds: number[], promptLength: number): Promise<Made> {
  const tooLong = positionsProblem(model, promptLength);
  if (tooLong) throw new TargetError(`lm targets: promptLength: ${tooLong}`);
  const V = model.info.vocabSize;
  const prompts = seeds.map((s) => randomPrompt(model, s, promptLength));
  const ids = new Int32Array(seeds.length * promptLength);
  prompts.forEach((p, i) => ids.set(p, i * promptLength));
  const logits = seeds.length
    ? await model.logits({ ids, rows: seeds.length, positions: promptLength })
    : new Float32Array(0);
  // softmax and entropy over rows × V in the target worker
  const rows = await inTargetWorker('softmaxRows', { logits, rows: seeds.length, vocab: V }, [logits.buffer]);
  return {
    probs: rows.probs,
    entropyBits: Array.from(rows.entropyBits),
    extra: prompts.map((p) => ({ lmPromptIds: Array.from(p), promptLength })),
  };
}
