// Part-of-speech tags of vocabulary tokens, for the study's pos-uniform targets (Fig. 12–13).
// Tags come from wink-lexicon (the lexicon of winkjs' POS tagger): a token is tagged when its
// text, stripped of its leading space, is a word whose Penn tags all fall in ONE of our four
// classes. Capitalised words the lexicon does not know are proper nouns (the lexicon holds few
// names); every other token is ambiguous or untagged and never used.
import { createRequire } from 'node:module';

import { POS_TAGS, type PosTag } from '../spec/schema.js';
import { seededRandom } from './maths.js';
import { TargetError } from '../model/target-error.js';

export { POS_TAGS, type PosTag };

const require = createRequire(import.meta.url);
let lexicon: Record<string, string[]> | undefined;
const lex = () => (lexicon ??= require('wink-lexicon/src/lexicon.js') as Record<string, string[]>);

function classOf(penn: string): PosTag | 'other' {
  if (penn === 'NN' || penn === 'NNS') return 'noun';
  if (penn === 'NNP' || penn === 'NNPS') return 'proper-noun';
  if (penn.startsWith('VB')) return 'verb';
  if (penn.startsWith('JJ')) return 'adjective';
  return 'other';
}

/** The one tag of a token's text, 'ambiguous', or null (not a word). */
export function tagOfText(text: string): PosTag | 'ambiguous' | null {
  // trim() also strips a byte-order mark: Llama 3's '\uFEFFusing' is an invisible mark before a
  // word, a token hard prompts ban as unprintable, not the word.
  if (text.includes('\uFEFF')) return null;
  const word = text.trim();
  if (!/^[A-Za-z]{2,}$/.test(word)) return null;
  const tags = lex()[word.toLowerCase()];
  if (!tags) return /^[A-Z][a-z]+$/.test(word) ? 'proper-noun' : null;
  const classes = new Set(tags.map(classOf));
  if (classes.size !== 1) return 'ambiguous';
  const only = [...classes][0];
  return only === 'other' ? 'ambiguous' : only;
}

/** Token ids of each tag over a vocabulary (texts as tokenText gives them). */
export function tagVocabulary(texts: readonly string[]): Record<PosTag, number[]> & { counts: Record<string, number> } {
  const out = { noun: [] as number[], 'proper-noun': [] as number[], verb: [] as number[], adjective: [] as number[] };
  const counts: Record<string, number> = {
    noun: 0,
    'proper-noun': 0,
    verb: 0,
    adjective: 0,
    ambiguous: 0,
    untagged: 0,
  };
  texts.forEach((t, id) => {
    const tag = tagOfText(t);
    if (tag === null) counts.untagged++;
    else if (tag === 'ambiguous') counts.ambiguous++;
    else {
      out[tag].push(id);
      counts[tag]++;
    }
  });
  return { ...out, counts };
}

/** Uniform over n tokens sampled (seeded, without replacement) from those of one tag. */
export function posUniform(
  ids: readonly number[],
  vocab: number,
  n: number,
  seed: number,
  tag: string,
): { probs: Float32Array; chosen: number[] } {
  if (ids.length < n)
    throw new TargetError(
      `pos-uniform: each target is uniform over n = ${n} tokens tagged '${tag}', and the vocabulary has only ${ids.length}: lower n (a sweep spec's field), choose another tag, or use a model with a larger vocabulary`,
    );
  const pool = ids.slice();
  const rand = seededRandom(seed);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const chosen = pool.slice(0, n).sort((a, b) => a - b);
  const probs = new Float32Array(vocab);
  for (const id of chosen) probs[id] = 1 / n;
  return { probs, chosen };
}
