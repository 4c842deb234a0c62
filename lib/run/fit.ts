// What a sweep needs of its model, checked once the model is loaded and before any work: its
// entropy grids within log2 of the vocabulary, its targets within the device's memory, and a
// tokenizer for the kinds made from token texts. A study checks every sweep this way before it
// runs the first, so that the one that cannot run is told at the start, not hours in.
import type { Model } from '../model/model.js';
import { SpecError, type SpecIssue, type SweepSpec } from '../spec/index.js';
import { StudyError } from '../study/catalog.js';
import type { StudySweep } from '../study/plan.js';
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
    if (e instanceof SpecError) return e.issues;
    throw e;
  }
}

/** Every way `spec` does not fit `model`, as spec issues; none when it fits. */
export function sweepFitIssues(spec: SweepSpec, model: Pick<Model, 'info' | 'tokenizer'>): SpecIssue[] {
  const { vocabSize, device, name } = model.info;
  const issues = issuesOf(() => {
    const targets = planTargets(spec, vocabSize, { fileTargetCount: targetFileCount });
    checkTargetsFit(targets.length, vocabSize, device);
  });
  if (!model.tokenizer)
    spec.targets.forEach((t, i) => {
      if (NEEDS_TOKENIZER.has(t.kind))
        issues.push({
          path: `targets[${i}]`,
          message: `${t.kind} targets are made from token texts and need the model's tokenizer, and ${name} has none: use a model with its tokenizer (a Hugging Face folder or repo, or a random: preset that has one), or drop this target`,
        });
    });
  return issues;
}

/** Refuses a sweep that does not fit its model, naming every reason at once. */
export function checkSweepFits(spec: SweepSpec, model: Pick<Model, 'info' | 'tokenizer'>): void {
  const issues = sweepFitIssues(spec, model);
  if (issues.length > 0) throw new SpecError(issues, `Sweep spec cannot run on ${model.info.name}`);
}

/**
 * Refuses a study any of whose sweeps does not fit its model, before the first runs: every such
 * sweep named with its reasons, and the studies that fit named so that the user can run those.
 * Of the models it loads, only the first sweep's stays: the others load again when their sweeps come.
 */
export async function refuseUnfitSweeps(sweeps: readonly StudySweep[], models: StudyModels): Promise<void> {
  const unfit: string[] = [];
  const unfitStudies = new Set<string>();
  for (const s of sweeps) {
    if (s.skipped) continue;
    const model = await models.get(s);
    for (const issue of sweepFitIssues(s.spec, model)) {
      unfit.push(`  - ${s.experiment} on ${s.model}: ${issue.path}: ${issue.message}`);
      unfitStudies.add(s.study.name);
    }
  }
  models.keepOnly(sweeps.find((s) => !s.skipped)?.model);
  if (unfit.length === 0) return;
  // Studies whose every sweep is skipped on these models would run nothing: not suggested.
  const fitting = [...new Set(sweeps.filter((s) => !s.skipped).map((s) => s.study.name))].filter(
    (n) => !unfitStudies.has(n),
  );
  throw new StudyError(
    `these sweeps cannot run on the models given, so none was run:\n${unfit.join('\n')}\n` +
      (fitting.length
        ? `The studies that can: distprompt study ${fitting.join(',')} (with the same flags); or give a model these fit.`
        : 'Give a model these fit.'),
  );
}
