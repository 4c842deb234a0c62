// Fig. 12: how many tokens of a model's vocabulary carry each part of speech — the pools the
// pos-uniform targets draw from. Needs the tokenizer only, never the weights.
import { statSync } from 'node:fs';

import { randomSource } from '../model/presets.js';
import { tagVocabulary } from '../targets/pos.js';

const isDirectory = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** Tokens per tag ('noun', 'proper-noun', 'verb', 'adjective', 'ambiguous', 'untagged'), or null without a tokenizer. */
export async function posCounts(model: string): Promise<Record<string, number> | null> {
  const { hasTokenizerFiles, loadTokenizer } = await import('../tokenizer/index.js');
  let source: { preset: 'gpt2' | 'llama3' | 'qwen' } | { dir: string } | undefined;
  if (model.startsWith('random:')) source = (await randomSource(model.slice('random:'.length))).tokenizer;
  else if (isDirectory(model)) source = { dir: model };
  else {
    // The config and tokenizer only: the weights (gigabytes) are not what this figure reads.
    const { resolveModel } = await import('../hub/index.js');
    source = { dir: await resolveModel(model, { configOnly: true }) };
  }
  if (!source) return null;
  if ('dir' in source && !hasTokenizerFiles(source.dir)) return null;
  const tokenizer = await loadTokenizer(source);
  const texts = Array.from({ length: tokenizer.vocabSize }, (_, id) => tokenizer.tokenText(id));
  return tagVocabulary(texts).counts;
}
