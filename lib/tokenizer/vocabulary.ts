// tokenText of every id, computed once per tokenizer: mapping vocabularies between models
// (migrated targets) and banning tokens both walk the whole vocabulary.
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
