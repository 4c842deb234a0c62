// The paper's findings, each as a statistic computed from a study's results and a verdict that
// follows from it by a stated rule, never by hand: the report's first table.
//
// Every comparison is on targets' difficulty, the minimum KL over a target's inits. Paired
// comparisons use a one-sided sign test (the claim holds at p < 0.05 with the mean gap in its
// direction); fewer than MIN_PAIRS pairs cannot reach that, and say "not enough data".
import { bestPerTarget, type AnalysisRecord, type TargetBest } from '../analysis/best.js';
import {
  ALPHA,
  interpolate,
  mean,
  MIN_PAIRS,
  pairedComparison,
  shownStandardError,
  standardError,
  type Paired,
} from '../analysis/stats.js';

export type Verdict = 'holds' | 'does not hold' | 'not enough data' | 'measured';

/** The fields of a result row the findings read (a StoredRunRecord has them all). */
export type FindingRecord = AnalysisRecord;

/** One sweep's results as the findings see them. */
export interface ExperimentResults {
  /** experiment id, e.g. 'vanilla' or 'prefix-length-L10' */
  experiment: string;
  /** the study it belongs to, e.g. 'prefix-length' */
  study: string;
  /** the model the sweep ran on */
  model: string;
  records: readonly FindingRecord[];
}

export interface Finding {
  /** '1', '2', '3a' …: the paper's finding and its part */
  id: string;
  claim: string;
  /** what the statistic was computed on (experiment and model) */
  scope: string;
  statistic: string;
  verdict: Verdict;
  numbers: Record<string, number | string>;
}

const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—');
const pText = (p: number): string => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);
const scopeOf = (e: ExperimentResults): string => `${e.experiment} · ${e.model}`;

/** The verdict of a paired claim, and a sentence with its numbers. */
function pairedVerdict(c: Paired, easier: string, harder: string): { verdict: Verdict; statistic: string } {
  const text = `${easier} lower than ${harder} in ${c.wins} of ${c.n} pairs, mean gap ${f3(c.meanGapNats)} nats (sign test ${pText(c.p)})`;
  if (c.n < MIN_PAIRS)
    return {
      verdict: 'not enough data',
      statistic: `${c.n} pairs (a sign test needs ≥ ${MIN_PAIRS})${c.n ? `: ${text}` : ''}`,
    };
  return { verdict: c.p < ALPHA && c.meanGapNats > 0 ? 'holds' : 'does not hold', statistic: text };
}

const pairedNumbers = (c: Paired) => ({ pairs: c.n, wins: c.wins, meanGapNats: c.meanGapNats, p: c.p });

// --- 1: unimodal in entropy --------------------------------------------------------------------

export interface EntropyBin {
  entropyBits: number;
  meanKlNats: number;
  se: number;
  n: number;
}

/** Vanilla targets' difficulty per entropy bin (the grid's own points, or 12 equal bins for a fine grid). */
export function entropyCurve(best: readonly TargetBest[]): EntropyBin[] {
  const xs = [...new Set(best.map((b) => b.entropyBits))].sort((a, b) => a - b);
  const width = xs.length > 16 ? (xs[xs.length - 1] - xs[0]) / 12 : 0;
  const binOf = (h: number) => (width > 0 ? xs[0] + Math.round((h - xs[0]) / width) * width : h);
  const groups = new Map<number, number[]>();
  for (const b of best) {
    const h = binOf(b.entropyBits);
    const group = groups.get(h);
    if (group) group.push(b.klNats);
    else groups.set(h, [b.klNats]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([h, v]) => ({ entropyBits: h, meanKlNats: mean(v), se: standardError(v), n: v.length }));
}

/**
 * Rises, peaks, falls: the bin with the highest mean is not at either end, and it stands above
 * both ends by more than twice their combined standard error and by at least a tenth of itself.
 */
export function unimodality(curve: readonly EntropyBin[]): {
  verdict: Verdict;
  statistic: string;
  numbers: Record<string, number>;
} {
  if (curve.length < 3)
    return {
      verdict: 'not enough data',
      statistic: `${curve.length} entropy bins (needs ≥ 3)`,
      numbers: { bins: curve.length },
    };
  let k = 0;
  curve.forEach((b, i) => {
    if (b.meanKlNats > curve[k].meanKlNats) k = i;
  });
  const peak = curve[k];
  const first = curve[0];
  const last = curve[curve.length - 1];
  const clear = (a: EntropyBin) =>
    peak.meanKlNats - a.meanKlNats > Math.max(2 * Math.hypot(peak.se, a.se), 0.1 * peak.meanKlNats);
  const rises = k > 0 && clear(first);
  const falls = k < curve.length - 1 && clear(last);
  const numbers = {
    peakBits: peak.entropyBits,
    peakKlNats: peak.meanKlNats,
    lowEndKlNats: first.meanKlNats,
    highEndKlNats: last.meanKlNats,
    bins: curve.length,
  };
  const statistic =
    `peak ${f3(peak.meanKlNats)} nats at ${peak.entropyBits.toFixed(2)} bits (of ${first.entropyBits.toFixed(2)}–${last.entropyBits.toFixed(2)}); ` +
    `ends ${f3(first.meanKlNats)} and ${f3(last.meanKlNats)} nats; ${rises ? 'rises' : 'no clear rise'}, ${falls ? 'falls' : 'no clear fall'}`;
  return { verdict: rises && falls ? 'holds' : 'does not hold', statistic, numbers };
}

// '1' < '2' < '3a' < '3b' < '4c' < '6'; '—' (an experiment without a finding) last.
const PART: Record<string, number> = { a: 0.1, b: 0.2, c: 0.3 };
const order = (id: string): number => (id === '—' ? 99 : parseFloat(id) + (PART[id.slice(-1)] ?? 0));

/** A finding's row before the table adds its id and claim. */
type Row = Omit<Finding, 'id' | 'claim'>;

function finding1(e: ExperimentResults): Row[] {
  const best = bestPerTarget(e.records).filter((b) => b.kind === 'vanilla' && b.pairedWith === null);
  return [...new Set(best.map((b) => b.method))].map((method) => {
    const u = unimodality(entropyCurve(best.filter((b) => b.method === method)));
    return { scope: `${scopeOf(e)} · ${method}`, ...u };
  });
}

// --- 2: soft < hybrid < hard ---------------------------------------------------------------------

function finding2(e: ExperimentResults): Row[] {
  const best = bestPerTarget(e.records);
  const methods = [...new Set(best.map((b) => b.method))];
  const soft = methods.filter((m) => m === 'soft');
  const hard = methods.filter((m) => m.startsWith('hard'));
  const hybrid = methods.filter((m) => m.startsWith('hybrid'));
  const scope = scopeOf(e);
  if (!soft.length || !hard.length || !hybrid.length) {
    return [
      {
        scope,
        statistic: `methods run: ${methods.join(', ') || 'none'} (needs soft, hybrid and hard)`,
        verdict: 'not enough data',
        numbers: {},
      },
    ];
  }
  const byMethod = new Map(
    methods.map((m) => [m, new Map(best.filter((b) => b.method === m).map((b) => [b.targetId, b.klNats]))]),
  );
  const common = [...byMethod.get(soft[0])!.keys()].filter((t) => methods.every((m) => byMethod.get(m)!.has(t)));
  const compare = (a: string, b: string) =>
    pairedComparison(
      common.map((t) => byMethod.get(a)!.get(t)!),
      common.map((t) => byMethod.get(b)!.get(t)!),
    );
  const steps = [
    ...hybrid.map((h) => [soft[0], h] as const),
    ...hybrid.flatMap((h) => hard.map((x) => [h, x] as const)),
  ];
  const results = steps.map(([a, b]) => ({ a, b, c: compare(a, b), v: pairedVerdict(compare(a, b), a, b) }));
  const verdict: Verdict = results.some((r) => r.v.verdict === 'not enough data')
    ? 'not enough data'
    : results.every((r) => r.v.verdict === 'holds')
      ? 'holds'
      : 'does not hold';
  const means = methods.map((m) => `${m} ${f3(mean(common.map((t) => byMethod.get(m)!.get(t)!)))}`).join(', ');
  const statistic =
    `mean min KL over ${common.length} common targets: ${means} nats; ` +
    results.map((r) => `${r.a} < ${r.b} in ${r.c.wins}/${r.c.n} (${pText(r.c.p)})`).join('; ');
  const numbers: Record<string, number> = { targets: common.length };
  for (const m of methods) numbers[`mean ${m}`] = mean(common.map((t) => byMethod.get(m)!.get(t)!));
  return [{ scope, statistic, verdict, numbers }];
}

// --- 3: outliers -----------------------------------------------------------------------------------

function finding3(e: ExperimentResults): { a: Row; b: Row } {
  const best = bestPerTarget(e.records);
  const scope = scopeOf(e);
  const sampleOf = (b: TargetBest) => b.sample;
  const vanilla = new Map(
    best
      .filter((b) => b.kind === 'vanilla' && b.pairedWith === null)
      .map((b) => [`${b.method}|${b.entropyBits}|${sampleOf(b)}`, b.klNats]),
  );
  const outliers = best.filter((b) => b.kind === 'outlier');
  const pairs = outliers.flatMap((o) => {
    const v = vanilla.get(`${o.method}|${o.entropyBits}|${sampleOf(o)}`);
    return v === undefined ? [] : [{ k: o.outliers ?? 0, outlier: o.klNats, vanilla: v }];
  });
  const all = pairedComparison(
    pairs.map((p) => p.outlier),
    pairs.map((p) => p.vanilla),
  );
  const a = pairedVerdict(all, 'outlier target', 'vanilla target of the same entropy');
  const ks = [...new Set(pairs.map((p) => p.k))].sort((x, y) => x - y);
  const perK = ks.map((k) => {
    const mine = pairs.filter((p) => p.k === k);
    return { k, n: mine.length, gap: mean(mine.map((p) => p.vanilla - p.outlier)) };
  });
  const numbers: Record<string, number> = { pairs: all.n };
  for (const g of perK) numbers[`gap k=${g.k}`] = g.gap;
  const gaps = perK.map((g) => `k=${g.k}: ${f3(g.gap)} nats (${g.n})`).join(', ');
  let verdictB: Verdict;
  let statB: string;
  if (perK.length < 2 || !perK.some((g) => g.k === 1) || perK.some((g) => g.n < MIN_PAIRS)) {
    verdictB = 'not enough data';
    statB = `mean easing per k: ${gaps || 'no outlier targets'} (needs k = 1 and another k, ≥ ${MIN_PAIRS} pairs each)`;
  } else {
    const top = perK.reduce((x, y) => (y.gap > x.gap ? y : x));
    verdictB = top.k === 1 && top.gap > 0 ? 'holds' : 'does not hold';
    statB = `mean easing (vanilla − outlier) per k: ${gaps}; largest at k=${top.k}`;
  }
  return {
    a: { scope, ...a, numbers: { ...pairedNumbers(all) } },
    b: { scope, statistic: statB, verdict: verdictB, numbers },
  };
}

// --- 4: LM-generated, shuffled, migrated targets ---------------------------------------------------

function finding4(e: ExperimentResults): Row[] {
  const best = bestPerTarget(e.records);
  const scope = scopeOf(e);
  const out: Row[] = [];
  for (const method of [...new Set(best.map((b) => b.method))]) {
    const mine = best.filter((b) => b.method === method);
    const pairedVanilla = new Map(
      mine.filter((b) => b.kind === 'vanilla' && b.pairedWith !== null).map((b) => [b.pairedWith!, b.klNats]),
    );
    const where = `${scope} · ${method}`;
    if (e.study === 'lm') {
      const lm = mine.filter((b) => b.kind === 'lm' && pairedVanilla.has(b.targetId));
      const c = pairedComparison(
        lm.map((b) => b.klNats),
        lm.map((b) => pairedVanilla.get(b.targetId)!),
      );
      out.push({
        scope: where,
        ...pairedVerdict(c, 'lm target', 'matched vanilla'),
        numbers: pairedNumbers(c),
      });
    }
    if (e.study === 'shuffled') {
      const sh = mine.filter((b) => b.kind === 'shuffled' && b.lmTarget !== null && pairedVanilla.has(b.lmTarget));
      const c = pairedComparison(
        sh.map((b) => b.klNats),
        sh.map((b) => pairedVanilla.get(b.lmTarget!)!),
      );
      out.push({
        scope: where,
        ...pairedVerdict(c, 'shuffled target', 'vanilla paired with its lm target'),
        numbers: pairedNumbers(c),
      });
    }
    if (e.study === 'migrated') {
      // Vanilla difficulty at a migrated target's entropy, read off the vanilla grid's curve.
      const curve = entropyCurve(mine.filter((b) => b.kind === 'vanilla' && b.pairedWith === null)).map(
        (b) => [b.entropyBits, b.meanKlNats] as const,
      );
      const mig = mine
        .filter((b) => b.kind === 'migrated')
        .map((b) => ({ kl: b.klNats, v: interpolate(curve, b.targetEntropyBits) }))
        .filter((x) => Number.isFinite(x.v));
      const c = pairedComparison(
        mig.map((x) => x.kl),
        mig.map((x) => x.v),
      );
      out.push({
        scope: where,
        ...pairedVerdict(c, 'migrated target', 'vanilla curve at its entropy'),
        numbers: pairedNumbers(c),
      });
    }
  }
  return out;
}

// --- 5: parts of speech ------------------------------------------------------------------------------

const INSTRUCT = /[-_.](instruct|chat|it|sft)(?=$|[-_.])/gi;

/** A model's base name if it is an instruct variant ('Qwen2.5-0.5B-Instruct' → 'qwen2.5-0.5b'), else null. */
export function baseNameOf(model: string): string | null {
  const plain = model.toLowerCase();
  const stripped = plain.replace(INSTRUCT, '');
  return stripped !== plain ? stripped : null;
}

const posBest = (e: ExperimentResults): TargetBest[] =>
  bestPerTarget(e.records).filter((b) => b.kind === 'pos-uniform');

function finding5a(pos: readonly ExperimentResults[]): Row[] {
  const out: Row[] = [];
  const bestBy = new Map(pos.map((e) => [e.model, posBest(e)]));
  let pairs = 0;
  for (const e of pos) {
    const base = baseNameOf(e.model);
    const partner = base === null ? undefined : pos.find((o) => o.model.toLowerCase() === base);
    if (!partner) continue;
    pairs++;
    const baseBest = new Map(bestBy.get(partner.model)!.map((b) => [`${b.method}|${b.targetId}`, b.klNats]));
    const mine = bestBy.get(e.model)!.filter((b) => baseBest.has(`${b.method}|${b.targetId}`));
    const c = pairedComparison(
      mine.map((b) => baseBest.get(`${b.method}|${b.targetId}`)!),
      mine.map((b) => b.klNats),
    );
    out.push({
      scope: `${e.experiment} · ${partner.model} vs ${e.model}`,
      ...pairedVerdict(c, 'base model', 'instruct variant'),
      numbers: pairedNumbers(c),
    });
  }
  if (pos.length && pairs === 0) {
    out.push({
      scope: pos.map((e) => e.model).join(', '),
      statistic:
        'no base/instruct pair among the models (an instruct variant is named like its base plus -Instruct, -chat, -it or -sft)',
      verdict: 'not enough data',
      numbers: {},
    });
  }
  return out;
}

function finding5b(e: ExperimentResults): Row[] {
  const best = posBest(e);
  const tags = [...new Set(best.map((b) => b.posTag).filter((t): t is string => t !== null))].sort();
  const stats = tags.map((tag) => {
    const v = best.filter((b) => b.posTag === tag).map((b) => b.klNats);
    return { tag, n: v.length, mean: mean(v), se: standardError(v) };
  });
  const text = stats.map((s) => `${s.tag} ${f3(s.mean)} ± ${f3(shownStandardError(s))} (${s.n})`).join(', ');
  const numbers: Record<string, number> = {};
  for (const s of stats) numbers[`mean ${s.tag}`] = s.mean;
  if (stats.length < 2 || !tags.includes('adjective') || stats.some((s) => s.n < 3)) {
    return [
      {
        scope: scopeOf(e),
        statistic: `mean min KL per tag: ${text || 'none'} (needs adjectives and another tag, ≥ 3 targets each)`,
        verdict: 'not enough data',
        numbers,
      },
    ];
  }
  const lowest = stats.reduce((x, y) => (y.mean < x.mean ? y : x));
  return [
    {
      scope: scopeOf(e),
      statistic: `mean min KL per tag: ${text} nats; lowest: ${lowest.tag}`,
      verdict: lowest.tag === 'adjective' ? 'holds' : 'does not hold',
      numbers,
    },
  ];
}

// --- 6: head bound and body gap ------------------------------------------------------------------------

function finding6(e: ExperimentResults): Row {
  const best = bestPerTarget(e.records);
  const bounded = best.filter((b) => b.headBoundNats !== null);
  if (bounded.length === 0) {
    return {
      scope: scopeOf(e),
      statistic: 'no headBoundNats in these results (written without the head bound)',
      verdict: 'not enough data',
      numbers: {},
    };
  }
  // Against the sphere, where prompts can go (the ball bound in results written without it).
  const kl = mean(bounded.map((b) => b.klNats));
  const ball = mean(bounded.map((b) => b.headBoundNats!));
  const head = mean(bounded.map((b) => b.sphereBoundNats ?? b.headBoundNats!));
  const gap = kl - head;
  const share = kl > 0 ? head / kl : NaN;
  const against = bounded.every((b) => b.sphereBoundNats !== null) ? 'sphere' : 'ball bound';
  // The means are over (target, method) pairs: a methods sweep's 201 targets are 1,005 of them.
  const targets = new Set(bounded.map((b) => b.targetId)).size;
  const methods = new Set(bounded.map((b) => b.method)).size;
  const over = `${targets} targets${methods > 1 ? ` × ${methods} methods` : ''}`;
  return {
    scope: scopeOf(e),
    verdict: 'measured',
    statistic: `over ${over}: mean min KL ${f3(kl)} nats = ${against} ${f3(head)} + body gap ${f3(gap)} (certified ball bound ${f3(ball)}); head share ${Number.isFinite(share) ? `${(100 * share).toFixed(1)}%` : '—'}`,
    numbers: {
      targets,
      methods,
      meanKlNats: kl,
      meanHeadBoundNats: ball,
      meanSphereBoundNats: head,
      meanBodyGapNats: gap,
      headShare: share,
    },
  };
}

/** An experiment the study could not run with the models given, and why. */
export interface SkippedExperiment {
  experiment: string;
  study: string;
  model: string;
  reason: string;
}

/** Finding 6 over every experiment: results without the bound columns say so once, not once per experiment. */
function finding6All(experiments: readonly ExperimentResults[]): Row[] {
  const bound = experiments.map(finding6);
  if (bound.length && bound.every((f) => f.verdict === 'not enough data'))
    return [{ ...bound[0], scope: experiments.map(scopeOf).join('; ') }];
  return bound;
}

/**
 * A finding as data: its id, its claim (stated here only: the report's findings table and the
 * captions of its studies read it), the studies whose results it is computed on, and how — per
 * experiment of those studies, or over all of them at once.
 */
export interface FindingDef {
  id: string;
  claim: string;
  /** the studies it is computed on; 'every' for one that reads every experiment (after the others) */
  studies: readonly string[] | 'every';
  compute: { each: (e: ExperimentResults) => Row[] } | { across: (es: readonly ExperimentResults[]) => Row[] };
}

/** The paper's findings, in its order. */
export const FINDINGS: readonly FindingDef[] = [
  {
    id: '1',
    claim: 'Difficulty is unimodal in target entropy (easy at both ends, hardest in between)',
    studies: ['vanilla', 'prefix-length'],
    compute: { each: finding1 },
  },
  {
    id: '1',
    claim: 'Difficulty is unimodal in target entropy, also for a randomly initialised model',
    studies: ['random-init'],
    compute: { each: finding1 },
  },
  {
    id: '2',
    claim: 'Soft prompts reach lower loss than hybrid ones, hybrid lower than hard: soft < hybrid < hard',
    studies: ['methods'],
    compute: { each: finding2 },
  },
  {
    id: '3a',
    claim: 'Outliers make mid-entropy targets easier than vanilla targets of the same entropy',
    studies: ['outliers'],
    compute: { each: (e) => [finding3(e).a] },
  },
  {
    id: '3b',
    claim: 'The easing is largest with a single outlier',
    studies: ['outliers'],
    compute: { each: (e) => [finding3(e).b] },
  },
  {
    id: '4a',
    claim: 'LM-generated targets are easier than vanilla targets of the same entropy',
    studies: ['lm'],
    compute: { each: finding4 },
  },
  {
    id: '4b',
    claim: 'Shuffled LM targets are easier than vanilla targets of the same entropy',
    studies: ['shuffled'],
    compute: { each: finding4 },
  },
  {
    id: '4c',
    claim: 'Targets migrated from another tokenizer are easier than vanilla targets of the same entropy',
    studies: ['migrated'],
    compute: { each: finding4 },
  },
  {
    id: '5a',
    claim: 'Instruct variants find POS-uniform targets harder than their base models',
    studies: ['pos'],
    compute: { across: finding5a },
  },
  {
    id: '5b',
    claim: 'Adjectives are the easiest part of speech',
    studies: ['pos'],
    compute: { each: finding5b },
  },
  {
    id: '6',
    claim:
      "How much of the difficulty the output layer sets (its minimum over the final norm's sphere) and how much the body leaves (body gap)",
    studies: 'every',
    compute: { across: finding6All },
  },
];

const covers = (def: FindingDef, study: string) => def.studies === 'every' || def.studies.includes(study);

/** The claims computed on a study's results (the report's caption of its figures). */
export const claimsOf = (study: string): string[] =>
  FINDINGS.filter((d) => d.studies !== 'every' && d.studies.includes(study)).map((d) => d.claim);

/** Every finding the experiments support, in the paper's order; skipped experiments say why they have none. */
export function computeFindings(
  experiments: readonly ExperimentResults[],
  skipped: readonly SkippedExperiment[] = [],
): Finding[] {
  const out: Finding[] = [];
  const rows = (def: FindingDef, list: Row[]) => list.forEach((r) => out.push({ id: def.id, claim: def.claim, ...r }));
  const [every, some] = [FINDINGS.filter((d) => d.studies === 'every'), FINDINGS.filter((d) => d.studies !== 'every')];
  for (const e of experiments)
    for (const def of some) if ('each' in def.compute && covers(def, e.study)) rows(def, def.compute.each(e));
  for (const def of some) {
    const mine = experiments.filter((e) => covers(def, e.study));
    if ('across' in def.compute && mine.length) rows(def, def.compute.across(mine));
  }
  // After the computed rows of the same finding (the sort below is stable).
  for (const s of skipped) {
    const def = some.find((d) => covers(d, s.study));
    out.push({
      id: def?.id ?? '—',
      claim: def?.claim ?? `the ${s.study} experiment`,
      scope: `${s.experiment} · ${s.model}`,
      statistic: `not run: ${s.reason}`,
      verdict: 'not enough data',
      numbers: {},
    });
  }
  out.sort((a, b) => order(a.id) - order(b.id));
  for (const def of every)
    if ('across' in def.compute && experiments.length) rows(def, def.compute.across(experiments));
  return out;
}
