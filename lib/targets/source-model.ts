// The source model of migrated targets: its errors said as the source's (an unknown preset alone
// would read as the sweep's own model), and checked before a sweep loads its own model, which can
// take minutes for a large one, so that a wrong source is told first.
import { said, saidOf, setMessage } from '../io/said.js';
import { describeModel, loadModel } from '../model/load.js';
import type { Model } from '../model/model.js';
import { TargetError } from '../model/target-error.js';

/** `e` (loading or describing `source`) named as the source of migrated targets. */
function asSource(source: string): (e: unknown) => never {
  return (e) => {
    if (e instanceof Error && e.name !== 'AbortError')
      setMessage(e, said`the source model ${source} of migrated targets: ${saidOf(e)}`);
    throw e;
  };
}

const noTokenizer = (source: string) =>
  new TargetError(`migrated targets need the source model's tokenizer; ${source} has none`);

/** Each source is one that loads on `device` with a tokenizer, read without loading its weights. */
export async function checkSourceModels(sources: readonly string[], device: string): Promise<void> {
  for (const source of new Set(sources)) {
    const d = await describeModel(source, { device }).catch(asSource(source));
    if (!d.hasTokenizer) throw noTokenizer(source);
  }
}

/** The source model, loaded on `device` with its tokenizer (the caller disposes of it). */
export async function loadSourceModel(source: string, device: string): Promise<Model> {
  const src = await loadModel(source, { device }).catch(asSource(source));
  if (!src.tokenizer) {
    src.dispose();
    throw noTokenizer(source);
  }
  return src;
}
