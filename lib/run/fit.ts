// What a sweep needs of its model, checked before any work: its entropy grids within log2 of the
// vocabulary, its targets within the device's memory, a tokenizer for the kinds made from token
// texts, and (in a study) enough tokens of each part of speech for its pos-uniform targets. A sweep checks its loaded model; a study checks every sweep before it runs the
// first, against each model's description (no weights loaded), so that the one that cannot run
// is told at the start, not hours in.
import type { ModelDescription } from '../model/load.js';
import type { Model } from '../model/model.js';
import { positionsProblem } from '../model/positions.js';
import { SpecError, type SpecIssue, type SweepSpec } from '../spec/index.js';
import { resolveMethod } from '../spec/methods.js';
import { candidatesBeyondIssue } from '../spec/pattern.js';
import { StudyError } from '../study/catalog.js';
import { onCommandLine, said } from '../io/said.js';
import type { StudySweep } from '../study/plan.js';
import { posCounts } from '../study/pos-counts.js';
import type { StudyModels } from './study-models.js';
import { planTargets } from '../sweep/index.js';
import { targetFileCount } from '../targets/file.js';
import { checkTargetsFit } from './sizes.js';

/** Target kinds made from the model's token texts (tagged, or matched across vocabularies). */
const NEEDS_TOKENIZER = new Set(['pos-uniform', 'migrated']);

function issuesOf(check: () => void): SpecIssue[] {
  try {
    check();
    return [];
  } catch (e) {
    if (e instanceof SpecError) return [...e.issues];
    throw e;
  }
}

/**
 * What the fit rules read of a model; `posCounts`, where given, its tokens of each part of speech
 * (lib/study/pos-counts.ts).
 */
type FitModel = Pick<ModelDescription, 'name' | 'vocabSize' | 'device' | 'hasTokenizer' | 'freeBytes' | 'config'> & {
  posCounts?: Record<string, number> | null;
  /** the tokens a hard position can take (lib/tune/run.ts tokensNotBanned); the vocabulary where not given */
  notBanned?: number;
};

/**
 * Prompts longer than a learned position table (GPT-2's n_positions): the sweep's searched
 * positions, and the prompts its lm, shuffled and migrated targets are generated from. Told here,
 * not by the tuner after the targets and their head bounds were made.
 */
function positionIssues(spec: SweepSpec, model: FitModel): SpecIssue[] {
  const host = { info: { name: model.name, config: model.config } };
  const issue = (path: string, length: number): SpecIssue[] => {
    const problem = positionsProblem(host, length);
    return problem ? [{ path, message: problem }] : [];
  };
  return [
    ...issue('prefixLength', spec.prefixLength),
    ...spec.targets.flatMap((t, i) =>
      'promptLength' in t && typeof t.promptLength === 'number'
        ? issue(`targets[${i}].promptLength`, t.promptLength)
        : [],
    ),
  ];
}

/**
 * pos-uniform targets each uniform over `n` tokens of one tag, more than the vocabulary has of it
 * (a small custom tokenizer): told before a study runs, not when it reaches the pos sweep.
 */
function posIssues(spec: SweepSpec, model: FitModel): SpecIssue[] {
  const counts = model.posCounts;
  if (!counts) return [];
  return spec.targets.flatMap((t, i) => {
    if (t.kind !== 'pos-uniform') return [];
    const short = t.tags.filter((tag) => (counts[tag] ?? 0) < t.n);
    if (short.length === 0) return [];
    const have = short.map((tag) => `${counts[tag] ?? 0} ${tag}`).join(', ');
    return [
      {
        path: `targets[${i}].n`,
        message: `each target is uniform over n = ${t.n} tokens of its tag, and ${model.name}'s vocabulary has only ${have} tokens: lower n or take ${short.length > 1 ? 'those' : 'that one'} out of tags (in a sweep spec, or a study file of --studies), or use a model with a larger vocabulary`,
      },
    ];
  });
}

/**
 * HotFlip keeps k of the tokens not banned at each hard position: a method asking for more than
 * the model has is told here, not by the tuner once the rows before it have run. A loaded model
 * counts the tokens its tokenizer bans; a described one (a study's check) has only its vocabulary.
 */
function candidatesIssues(spec: SweepSpec, model: FitModel): SpecIssue[] {
  const allowed = model.notBanned ?? model.vocabSize;
  return spec.methods.flatMap((m, i) => {
    const { pattern, candidates } = resolveMethod(m, spec.prefixLength);
    const message = candidatesBeyondIssue(pattern, candidates, model, allowed);
    return message ? [{ path: `methods[${i}].candidates`, message }] : [];
  });
}

/** Every way `spec` does not fit `model`, as spec issues; none when it fits. */
export function sweepFitIssues(spec: SweepSpec, model: FitModel): SpecIssue[] {
  const { vocabSize, device, name } = model;
  const issues = issuesOf(() => {
    const targets = planTargets(spec, vocabSize, { fileTargetCount: targetFileCount });
    checkTargetsFit(targets.length, vocabSize, device, model.freeBytes);
  });
  issues.push(...positionIssues(spec, model), ...posIssues(spec, model), ...candidatesIssues(spec, model));
  if (!model.hasTokenizer)
    spec.targets.forEach((t, i) => {
      if (NEEDS_TOKENIZER.has(t.kind))
        issues.push({
          path: `targets[${i}]`,
          message: `${t.kind} targets are made from token texts and need the model's tokenizer, and ${name} has none: use a model with its tokenizer (a Hugging Face folder or repo, or a random: preset that has one), or drop this target`,
        });
    });
  return issues;
}

/** Refuses a sweep that does not fit its loaded model, naming every reason at once. */
export function checkSweepFits(spec: SweepSpec, model: Pick<Model, 'info' | 'tokenizer'>, notBanned?: number): void {
  const { name, vocabSize, device, config } = model.info;
  const issues = sweepFitIssues(spec, {
    name,
    vocabSize,
    device,
    config,
    hasTokenizer: model.tokenizer !== undefined,
    notBanned,
  });
  if (issues.length > 0) throw new SpecError(issues, `Sweep spec cannot run on ${name}`);
}

/**
 * Refuses a study any of whose sweeps does not fit its model, before the first runs: every such
 * sweep named with its reasons, and the studies that fit named so that the user can run those.
 * Each model is described, not loaded: its config and files say all the rules read. Resolves to
 * the tag counts it made, by model (for pos sweeps only), which the study's Fig. 12 draws.
 */
export async function refuseUnfitSweeps(
  sweeps: readonly StudySweep[],
  models: StudyModels,
): Promise<Map<string, Record<string, number> | null>> {
  const unfit: string[] = [];
  const unfitStudies = new Set<string>();
  // Tagging a vocabulary takes a second or two (Qwen's 151k tokens): once per model, and only for pos sweeps.
  const counts = new Map<string, Promise<Record<string, number> | null>>();
  const countsOf = (s: StudySweep, description: ModelDescription) => {
    if (!description.hasTokenizer || !s.spec.targets.some((t) => t.kind === 'pos-uniform')) return undefined;
    if (!counts.has(s.model)) counts.set(s.model, posCounts(s.model));
    return counts.get(s.model);
  };
  for (const s of sweeps) {
    if (s.skipped) continue;
    const description = await models.describe(s);
    const model = { ...description, posCounts: await countsOf(s, description) };
    for (const issue of sweepFitIssues(s.spec, model)) {
      unfit.push(`  - ${s.experiment} on ${s.model}: ${issue.path}: ${issue.message}`);
      unfitStudies.add(s.study.name);
    }
  }
  if (unfit.length === 0) return new Map(await Promise.all([...counts].map(async ([m, c]) => [m, await c] as const)));
  // Studies whose every sweep is skipped on these models would run nothing: not suggested.
  const fitting = [...new Set(sweeps.filter((s) => !s.skipped).map((s) => s.study.name))].filter(
    (n) => !unfitStudies.has(n),
  );
  const those = onCommandLine(
    `distprompt study ${fitting.join(',')} (with the same flags)`,
    `studies: [${fitting.map((n) => `'${n}'`).join(', ')}] (with the same other options)`,
  );
  throw new StudyError(
    said`these sweeps cannot run on the models given, so none was run:\n${unfit.join('\n')}\n${fitting.length ? said`The studies that can: ${those}; or give a model these fit.` : 'Give a model these fit.'}`,
  );
}
