// Pure row transforms of the derived kinds: a seeded shuffle of token indices and the carrying
// of a distribution onto another vocabulary. Pure (no addon, no model), so the target worker
// imports them without the makers.
import { seededRandom } from './maths.js';
import { TargetError } from '../model/target-error.js';

/** shuffled: token indices of a distribution permuted (seeded Fisher–Yates), masses unchanged. */
export function shuffle(p: Float32Array, seed: number): Float32Array {
  const perm = Int32Array.from({ length: p.length }, (_, i) => i);
  const rand = seededRandom(seed);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i++) out[perm[i]] = p[i];
  return out;
}

/**
 * migrated: a distribution over a source vocabulary carried onto a destination vocabulary
 * through shared token strings (decoded text, so 'Ġthe' and '▁the' meet), then renormalised.
 */
export function migrate(
  p: Float32Array,
  sourceTexts: readonly string[],
  destTexts: readonly string[],
): { probs: Float32Array; massKept: number; sharedTokens: number } {
  const dest = new Map<string, number>();
  destTexts.forEach((t, i) => {
    if (t.length > 0 && !t.includes('\uFFFD') && !dest.has(t)) dest.set(t, i);
  });
  const out = new Float32Array(destTexts.length);
  let kept = 0;
  let shared = 0;
  for (let i = 0; i < p.length; i++) {
    const j = dest.get(sourceTexts[i]);
    if (j === undefined) continue;
    shared++;
    out[j] += p[i];
    kept += p[i];
  }
  if (kept <= 0)
    throw new TargetError('migrated target keeps no mass: the vocabularies share no token with probability');
  for (let j = 0; j < out.length; j++) out[j] /= kept;
  return { probs: out, massKept: kept, sharedTokens: shared };
}
