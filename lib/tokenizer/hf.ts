// A Tokenizer over a tokenizer.json, run by @huggingface/tokenizers (pure JS, works offline).
// Encoding and decoding of sequences are the library's; the per-token text is computed here
// from the token's spelling, because decoding one token alone strips the leading space that
// SentencePiece decoders remove at the start of a text ('▁the' → 'the', not ' the').
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';

import { byteLevelBytes, sentencePieceBytes, utf8Bytes, utf8Text } from './bytes.js';
import { TokenizerError, type Tokenizer } from './types.js';
import { ArgumentError } from '../io/argument-error.js';

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

interface TokenizerJson {
  model?: { type?: string; vocab?: unknown };
  added_tokens?: AddedTokenJson[];
  decoder?: { type?: string; decoders?: { type?: string }[] } | null;
  pre_tokenizer?: { type?: string; pretokenizers?: { type?: string }[] } | null;
}

type Spelling = 'byte-level' | 'sentencepiece' | 'other';

function types(
  node: { type?: string; decoders?: { type?: string }[]; pretokenizers?: { type?: string }[] } | null | undefined,
): string[] {
  if (!node) return [];
  // A damaged file's lists may be anything: what is not a list of named steps names none.
  const named = (list: unknown) =>
    Array.isArray(list)
      ? list.map((d) => (d as { type?: unknown } | null)?.type).filter((t) => typeof t === 'string')
      : [];
  return [typeof node.type === 'string' ? node.type : '', ...named(node.decoders), ...named(node.pretokenizers)];
}

function spellingOf(json: TokenizerJson): Spelling {
  const dec = types(json.decoder);
  if (dec.includes('ByteLevel')) return 'byte-level';
  if (dec.some((t) => t === 'Metaspace' || t === 'ByteFallback' || t === 'Replace')) return 'sentencepiece';
  if (dec.length === 0 && types(json.pre_tokenizer).includes('ByteLevel')) return 'byte-level';
  return 'other';
}

/** id → token spelling from the model's vocabulary (BPE/WordPiece map, Unigram list). */
function vocabArray(json: TokenizerJson, where: string): (string | undefined)[] {
  const vocab = json.model?.vocab;
  const out: (string | undefined)[] = [];
  if (Array.isArray(vocab)) {
    vocab.forEach((entry, id) => {
      out[id] = Array.isArray(entry) ? String(entry[0]) : String(entry);
    });
  } else if (vocab && typeof vocab === 'object') {
    for (const [tok, id] of Object.entries(vocab as Record<string, unknown>)) {
      if (!Number.isInteger(id) || (id as number) < 0)
        throw new TokenizerError(`${where}: vocabulary id of '${tok}' is not a non-negative integer`);
      out[id as number] = tok;
    }
  } else {
    throw new TokenizerError(`${where}: tokenizer.json has no model.vocab`);
  }
  return out;
}

export function tokenizerFromJson(name: string, json: unknown, config: unknown = {}): Tokenizer {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new TokenizerError(`${name}: tokenizer.json is not a JSON object`);
  const tj = json as TokenizerJson;
  const spellings = vocabArray(tj, name);
  const addedIds = new Set<number>();
  const specialIds = new Set<number>();
  const addedText = new Map<number, string>();
  const added: unknown = tj.added_tokens ?? [];
  if (!Array.isArray(added))
    throw new TokenizerError(
      `${name}: 'added_tokens' must be a list of tokens, got ${String(JSON.stringify(added)).slice(0, 80)}`,
    );
  for (const t of added as (AddedTokenJson | null)[]) {
    if (!t || !Number.isInteger(t.id) || t.id < 0 || typeof t.content !== 'string')
      throw new TokenizerError(`${name}: malformed added token ${JSON.stringify(t)}`);
    addedIds.add(t.id);
    addedText.set(t.id, t.content);
    if (t.special) specialIds.add(t.id);
    spellings[t.id] ??= t.content;
  }
  const vocabSize = spellings.length;
  // Ids past the end of a damaged file's tokens (one token at id 10⁹) would make every id up to
  // them an unused one: a set too large to build (a bare 'Set maximum size exceeded').
  const tokens = Object.keys(spellings).length; // the ids that have a token (a sparse array's keys)
  if (vocabSize > 2 * tokens + 1024)
    throw new TokenizerError(
      `${name}: its ids run to ${vocabSize - 1}, but it has only ${tokens} tokens: most ids would have no token (a damaged file)`,
    );
  const unusedIds = new Set<number>();
  for (let id = 0; id < vocabSize; id++) if (spellings[id] === undefined) unusedIds.add(id);

  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(json, (config ?? {}) as object);
  } catch (e) {
    throw new TokenizerError(`${name}: cannot build the tokenizer from tokenizer.json: ${(e as Error).message}`, {
      cause: e,
    });
  }

  const spelling = spellingOf(tj);
  const checkId = (id: number) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new ArgumentError(`token id ${id} is outside the vocabulary of ${name} (0..${vocabSize - 1})`);
  };
  // A token's bytes, from its spelling; texts are decoded from the bytes of whole runs of tokens.
  const tokenBytes = (id: number): Uint8Array => {
    checkId(id);
    const added = addedText.get(id);
    if (added !== undefined) return utf8Bytes(added);
    const tok = spellings[id];
    if (tok === undefined) return new Uint8Array(0);
    if (spelling === 'byte-level') return byteLevelBytes(tok) ?? utf8Bytes(tok);
    if (spelling === 'sentencepiece') return sentencePieceBytes(tok);
    return utf8Bytes(hf.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false }));
  };
  const tokensText = (ids: ArrayLike<number>): string => utf8Text(Array.from(ids, tokenBytes));

  return {
    name,
    vocabSize,
    specialIds,
    addedIds,
    unusedIds,
    encode: (text: string) => {
      if (typeof text !== 'string') throw new ArgumentError(`encode: expected a string, got ${typeof text}`);
      return hf.encode(text, { add_special_tokens: false }).ids;
    },
    decode: (ids: ArrayLike<number>) => {
      const list = Array.from(ids);
      for (const id of list) checkId(id);
      // No ids, no text: the decoder throws on an empty list (a fitted tokenizer's padding ids
      // are filtered out before they reach it).
      if (list.length === 0) return '';
      return hf.decode(list, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    },
    tokenText: (id: number) => tokensText([id]),
    tokensText,
  };
}
