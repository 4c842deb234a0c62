// Token ids a hard prompt must not use. Always: special tokens (BOS/EOS/chat markup) and ids no
// token has. By default also the other added tokens (Qwen's <think>, <|fim_prefix|>: markup,
// not text). With nonPrintable: tokens whose text is empty, has control characters or a byte-order
// mark, or has U+FFFD (a piece of a multi-byte character), so a hard prompt decodes to readable text.
import type { Tokenizer } from './types.js';
import { vocabularyTexts } from './vocabulary.js';

export interface BanOptions {
  nonPrintable?: boolean;
  /** ban non-special added tokens too (default true) */
  addedTokens?: boolean;
}

// C0 and C1 controls, DEL, the byte-order mark (invisible: Llama 3's and Qwen's '\uFEFFusing' would
// read as 'using') and the replacement character. Tab/newline are controls too: a prompt that must
// read as one line of text should not contain them.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\ufeff\ufffd]/;

export function isPrintableText(text: string): boolean {
  return text.length > 0 && !UNPRINTABLE.test(text);
}

/** Sorted, unique ids. */
export function bannedTokenIds(tokenizer: Tokenizer, options: BanOptions = {}): Int32Array {
  const banned = new Set<number>([...tokenizer.specialIds, ...tokenizer.unusedIds]);
  if (options.addedTokens ?? true) for (const id of tokenizer.addedIds) banned.add(id);
  if (options.nonPrintable) {
    const texts = vocabularyTexts(tokenizer);
    texts.forEach((t, id) => {
      if (!isPrintableText(t)) banned.add(id);
    });
  }
  return Int32Array.from([...banned].sort((a, b) => a - b));
}
