// A study run's sweeps: one per (experiment, variant, model), each with its own Arrow file in the
// study's output folder. Planned before any model is loaded, so a bad study or model list fails
// at once and a resumed run finds the same files.
import { join } from 'node:path';

import { shown } from '../spec/fields.js';
import type { NativeDtype } from '../native/types-model.js';
import { parseSpec, SpecError, type SweepSpec } from '../spec/index.js';
import { SCALES, StudyError, type Scale, type StudyFile } from './catalog.js';
import { studyModelName } from './model-name.js';

export interface StudySweep {
  /** experiment id: the study's name, with its variant ('prefix-length-L10') */
  experiment: string;
  study: StudyFile;
  variant?: string;
  /** the model as given on the command line */
  givenModel: string;
  /** the model the sweep runs on (random:<given> for a random twin) */
  model: string;
  spec: SweepSpec;
  /** set when the sweep cannot run with these models; the report says why */
  skipped?: string;
}

export interface StudyPlanOptions {
  scale: Scale;
  models: readonly string[];
  outDir: string;
  device?: string;
  dtype?: NativeDtype;
  seed?: number;
  /** false: no head bound in the rows (every sweep's `bound: false`) */
  bound?: boolean;
}

/** A model id as a file-name part: 'random:demo' → 'random_demo', 'org/name' → 'org_name'. */
export const modelSlug = (model: string): string =>
  model.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'model';

const fromOther = (t: Record<string, unknown>): boolean => t?.source === '$other';

export function planStudy(studies: readonly StudyFile[], o: StudyPlanOptions): StudySweep[] {
  // A script's missing field would else be a TypeError from inside ('The "path" argument …').
  if (!Array.isArray(o.models) || !o.models.every((m) => typeof m === 'string'))
    throw new StudyError(`give the models as a list of names, e.g. models: ['random:demo'], got ${shown(o.models)}`);
  // An empty one is named as every output's is (checkParentFolder), where the folder is made.
  if (typeof o.outDir !== 'string')
    throw new StudyError(`give the study's output folder, e.g. outDir: 'study-vanilla', got ${shown(o.outDir)}`);
  if (o.models.length === 0) throw new StudyError("give at least one model, e.g. models: ['random:demo']");
  // Each study file holds one spec per scale: another name ('Smoke') would read a spec that is not there.
  if (!(SCALES as readonly unknown[]).includes(o.scale))
    throw new StudyError(`scale must be ${SCALES.map((x) => `'${x}'`).join(' or ')}, got ${shown(o.scale)}`);
  const models = o.models.map(studyModelName);
  const twice = models.findIndex((m, i) => models.indexOf(m) !== i);
  if (twice >= 0) {
    const first = o.models[models.indexOf(models[twice])];
    const spelt = first === o.models[twice] ? '' : ` (as '${first}' and '${o.models[twice]}')`;
    throw new StudyError(`the model ${models[twice]} is given twice${spelt}: give each model once`);
  }
  const slugs = new Map<string, string>();
  for (const m of models) {
    const s = modelSlug(m);
    const prior = slugs.get(s);
    if (prior !== undefined && prior !== m)
      throw new StudyError(`models '${prior}' and '${m}' would share the file name part '${s}'; rename one`);
    slugs.set(s, m);
  }
  const sweeps: StudySweep[] = [];
  for (const study of studies) {
    const base = study[o.scale]!;
    const variants: Array<[string | undefined, Record<string, unknown>]> = study.variants
      ? Object.entries(study.variants)
      : [[undefined, {}]];
    for (const [variant, over] of variants) {
      const experiment = variant ? `${study.name}-${variant}` : study.name;
      for (const given of models) {
        let skipped: string | undefined;
        let model = given;
        if (study.model === 'random-twin') {
          if (given.startsWith('random:'))
            skipped = `${given} is already randomly initialised: its vanilla experiment is its random-init one`;
          else model = `random:${given}`;
        }
        const others = models.filter((m) => m !== given);
        const targets = (over.targets ?? base.targets) as Array<Record<string, unknown>> | undefined;
        if (targets?.some(fromOther) && others.length === 0)
          // Said in no caller's words: the reason is kept in the study's summary and plan.
          skipped = `needs a second model to migrate targets from: study ${given} with another model`;
        // '$other' stands for each other model given; with none, a placeholder keeps the spec printable.
        const expanded = targets?.flatMap((t) =>
          fromOther(t) ? (others.length ? others : ['(another model)']).map((source) => ({ ...t, source })) : [t],
        );
        const input: Record<string, unknown> = {
          ...base,
          ...over,
          ...(expanded ? { targets: expanded } : {}),
          model,
          device: o.device ?? 'cpu',
          ...(o.dtype ? { dtype: o.dtype } : {}),
          ...(o.seed !== undefined ? { seed: o.seed } : {}),
          ...(o.bound === false ? { bound: false } : {}),
          output: join(o.outDir, `${experiment}.${modelSlug(given)}.arrow`),
        };
        let spec: SweepSpec;
        try {
          spec = parseSpec(input);
        } catch (e) {
          if (e instanceof SpecError)
            throw new StudyError(`${study.path} (${o.scale}${variant ? `, variant ${variant}` : ''}): ${e.message}`);
          throw e;
        }
        sweeps.push({
          experiment,
          study,
          ...(variant ? { variant } : {}),
          givenModel: given,
          model,
          spec,
          ...(skipped ? { skipped } : {}),
        });
      }
    }
  }
  return sweeps;
}
