// What a study says when one of its sweeps is refused at its start, in the study's own words (its
// flags, not a sweep spec's fields): the same for the run and for its plan.
import { OutputTakenError, ResumeMismatchError } from '../results/index.js';
import { StudyError } from '../study/catalog.js';

/** `e` as the study tells it, where it is a refusal a study's flags answer; else `e` itself. */
export function studySweepRefusal(e: unknown, output: string, outDir: string): unknown {
  if (e instanceof OutputTakenError && e.finished)
    return new StudyError(
      `${e.path ?? output} exists: add --resume to keep finished sweeps (and continue the rest), or --overwrite to run them again`,
    );
  // The spec's fields name what differs; the user typed flags, so the flags are named too.
  if (e instanceof ResumeMismatchError && e.specDiffers)
    return new StudyError(
      `${e.what}. A study's sweep specs come from its study files (--studies), --scale, --seed, --dtype and --no-bound: resume with those of the run that wrote ${outDir}, or give another -o (or --overwrite to run it again)`,
    );
  return e;
}
