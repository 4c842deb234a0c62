export interface Tokenizer {
  /** preset name, or the directory it was loaded from */
  name: string;
  /** one more than the largest token id (added and special tokens included) */
  vocabSize: number;
  /** token ids of `text`, without BOS/EOS or other added special tokens */
  encode(text: string): number[];
  /** text of a token sequence, special tokens kept, no clean-up of spaces */
  decode(ids: ArrayLike<number>): string;
  /**
   * The text one token stands for: byte-level BPE 'Ġthe' and SentencePiece '▁the' both give
   * ' the'. A token holding part of a multi-byte character gives U+FFFD; an id no token has
   * gives ''.
   */
  tokenText(id: number): string;
  /**
   * The text tokens read one after another stand for: their bytes joined, then decoded, so the
   * pieces of a multi-byte character split over tokens spell it (tokenText of each piece alone
   * is U+FFFD). Unlike decode, no leading space is stripped and nothing is cleaned up: it is
   * tokenText of every id joined, except where a character spans tokens.
   */
  tokensText(ids: ArrayLike<number>): string;
  /** ids of the tokens marked special (BOS, EOS, chat markup) */
  specialIds: Set<number>;
  /** ids of every added token (special or not, e.g. Qwen's <think>) */
  addedIds: Set<number>;
  /** ids in [0, vocabSize) that no token has */
  unusedIds: Set<number>;
}

export class TokenizerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenizerError';
  }
}
