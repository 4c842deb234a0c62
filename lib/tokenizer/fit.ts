// A tokenizer as the model it is loaded with sees it. Checkpoints often pad the embedding past the
// tokenizer (Qwen2.5: 151936 rows, 151665 tokens) so that its size divides evenly: those ids are
// real inputs and outputs of the model that no token has. Everything walking the vocabulary
// (banned ids, vocabulary texts of migrated and pos-uniform targets, a prompt's text) must walk
// the model's, so the padding is folded in as unused ids with no text. A tokenizer with more
// tokens than the model has rows belongs to another model and is refused.
import { TokenizerError, type Tokenizer } from './types.js';
import { ArgumentError } from '../io/argument-error.js';

// One view per (tokenizer, size): a preset tokenizer is shared by every model loaded with it, and
// so are the vocabulary texts computed once per tokenizer object (vocabulary.ts).
const views = new WeakMap<Tokenizer, Map<number, Tokenizer>>();

/** `tokenizer` over `vocabSize` ids; `where` names the tokenizer and the model in the error. */
export function tokenizerForModel(tokenizer: Tokenizer, vocabSize: number, where: string): Tokenizer {
  if (tokenizer.vocabSize === vocabSize) return tokenizer;
  if (tokenizer.vocabSize > vocabSize) {
    throw new TokenizerError(
      `${where}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary (config.json vocab_size) ` +
        `has ${vocabSize}: it is another model's tokenizer. Put the model's own tokenizer beside its config.json, ` +
        'or remove it to run without a tokenizer (no prompt text, no special tokens banned)',
    );
  }
  const known = views.get(tokenizer)?.get(vocabSize);
  if (known) return known;
  const view = padded(tokenizer, vocabSize);
  if (!views.has(tokenizer)) views.set(tokenizer, new Map());
  views.get(tokenizer)!.set(vocabSize, view);
  return view;
}

function padded(tokenizer: Tokenizer, vocabSize: number): Tokenizer {
  const own = tokenizer.vocabSize;
  const unusedIds = new Set(tokenizer.unusedIds);
  for (let id = own; id < vocabSize; id++) unusedIds.add(id);
  const checkId = (id: number) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new ArgumentError(`token id ${id} is outside the vocabulary of ${tokenizer.name} (0..${vocabSize - 1})`);
  };
  return {
    ...tokenizer,
    vocabSize,
    unusedIds,
    tokenText: (id: number) => {
      checkId(id);
      return id < own ? tokenizer.tokenText(id) : '';
    },
    tokensText: (ids: ArrayLike<number>) => {
      const list = Array.from(ids);
      for (const id of list) checkId(id);
      return tokenizer.tokensText(list.filter((id) => id < own));
    },
    decode: (ids: ArrayLike<number>) => {
      const list = Array.from(ids);
      for (const id of list) checkId(id);
      return tokenizer.decode(list.filter((id) => id < own));
    },
  };
}
