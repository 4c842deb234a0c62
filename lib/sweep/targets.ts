// Spec → ordered target plans. A plan says which target to synthesise (kind and parameters) and
// names it with a stable id built from those parameters, e.g. 'vanilla:h=1.25:s=0'.

import { resolveGrids, SpecError, type SweepSpec, type TargetKind } from '../spec/index.js';
import { stableSeed } from './hash.js';

export interface TargetPlan {
  targetId: string;
  kind: TargetKind;
  /** Seed for synthesis, from (sweep seed, targetId) only. */
  seed: number;
  /** The kind's own parameters (entropyBits, outliers, promptLength, shuffleIndex, tag, …). */
  params: Record<string, unknown>;
}

export interface PlanOptions {
  /** Number of targets in a `file` target's file; required when the spec has one. */
  fileTargetCount?: (path: string) => number;
}

/** Grid values in ids: at most 6 decimals, no trailing zeros ('1.25', '0', '15.617036'). */
export function formatBits(h: number): string {
  return String(Number(h.toFixed(6)));
}

export function planTargets(spec: SweepSpec, vocabSize: number, options: PlanOptions = {}): TargetPlan[] {
  const plans: TargetPlan[] = [];
  const origin = new Map<string, number>();
  const add = (index: number, targetId: string, kind: TargetKind, params: Record<string, unknown>) => {
    const first = origin.get(targetId);
    if (first !== undefined) {
      throw new SpecError([{ path: `targets[${index}]`, message: `plans target '${targetId}', which targets[${first}] already plans; remove one of the two entries` }]);
    }
    origin.set(targetId, index);
    plans.push({ targetId, kind, seed: stableSeed(spec.seed, targetId), params });
  };

  resolveGrids(spec, vocabSize).forEach((t, index) => {
    switch (t.kind) {
      case 'vanilla': {
        // The study's gradient method keeps the short id; the exact alternative is marked.
        const suffix = t.method === 'gradient' ? '' : `:m=${t.method}`;
        for (const h of t.entropyBits) {
          for (let s = 0; s < t.samples; s++) {
            add(index, `vanilla:h=${formatBits(h)}:s=${s}${suffix}`, 'vanilla', { entropyBits: h, sample: s, method: t.method, eps: t.eps });
          }
        }
        break;
      }
      case 'outlier':
        for (const h of t.entropyBits) {
          for (let s = 0; s < t.samples; s++) {
            add(index, `outlier:k=${t.outliers}:h=${formatBits(h)}:s=${s}`, 'outlier', { entropyBits: h, sample: s, outliers: t.outliers, eps: t.eps });
          }
        }
        break;
      case 'lm':
        for (let i = 0; i < t.count; i++) {
          const lmId = `lm:n=${t.promptLength}:i=${i}`;
          add(index, lmId, 'lm', { promptLength: t.promptLength, index: i });
          // The pair's entropy is the lm target's, known only after synthesis: it follows its lm
          // target in the plan so the synthesiser has it by then.
          if (t.pairedVanilla) add(index, `vanilla:paired=${lmId}`, 'vanilla', { pairedWith: lmId, entropyBits: null });
        }
        break;
      case 'shuffled':
        for (let i = 0; i < t.count; i++) {
          // Same id as the lm kind's target, hence the same seed and prompt: shuffles of the very
          // targets the lm rows tune (the study's Figure 9 compares them).
          const lmId = `lm:n=${t.promptLength}:i=${i}`;
          for (let j = 0; j < t.shuffles; j++) {
            add(index, `shuffled:${lmId}:j=${j}`, 'shuffled', { lmTarget: lmId, lmSeed: stableSeed(spec.seed, lmId), promptLength: t.promptLength, index: i, shuffleIndex: j });
          }
        }
        break;
      case 'migrated':
        for (let i = 0; i < t.count; i++) {
          add(index, `migrated:src=${t.source}:n=${t.promptLength}:i=${i}`, 'migrated', { sourceModel: t.source, promptLength: t.promptLength, index: i });
        }
        break;
      case 'pos-uniform':
        for (const tag of t.tags) {
          for (let i = 0; i < t.count; i++) {
            add(index, `pos-uniform:tag=${tag}:n=${t.n}:i=${i}`, 'pos-uniform', { posTag: tag, n: t.n, index: i });
          }
        }
        break;
      case 'file': {
        if (!options.fileTargetCount) {
          throw new SpecError([{ path: `targets[${index}].path`, message: `planning file targets needs the number of targets in '${t.path}'; the caller must read the file first` }]);
        }
        const count = options.fileTargetCount(t.path);
        if (!Number.isInteger(count) || count < 1) {
          throw new SpecError([{ path: `targets[${index}].path`, message: `'${t.path}' holds no targets (count ${count})` }]);
        }
        for (let i = 0; i < count; i++) add(index, `file:${t.path}:i=${i}`, 'file', { path: t.path, index: i });
        break;
      }
    }
  });
  return plans;
}
