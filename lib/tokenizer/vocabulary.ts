// tokenText of every id, computed once per tokenizer: mapping vocabularies between models
// (migrated targets) and banning tokens both walk the whole vocabulary.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Tokenizer } from './types.js';

const cache = new WeakMap<Tokenizer, readonly string[]>();

export function vocabularyTexts(tokenizer: Tokenizer): readonly string[] {
  let texts = cache.get(tokenizer);
  if (!texts) {
    const out = new Array<string>(tokenizer.vocabSize);
    for (let id = 0; id < tokenizer.vocabSize; id++) out[id] = tokenizer.tokenText(id);
    texts = Object.freeze(out);
    cache.set(tokenizer, texts);
  }
  return texts;
}

/** vocabularyTexts in slices with the event loop let run between them (a 128k vocabulary is ~0.3 s of work). */
export async function vocabularyTextsInSlices(tokenizer: Tokenizer, slice = 4096): Promise<readonly string[]> {
  const known = cache.get(tokenizer);
  if (known) return known;
  const out = new Array<string>(tokenizer.vocabSize);
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    out[id] = tokenizer.tokenText(id);
    if (id % slice === slice - 1) await nextTurn();
  }
  const texts = cache.get(tokenizer) ?? Object.freeze(out);
  cache.set(tokenizer, texts);
  return texts;
}
