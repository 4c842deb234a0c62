// The per-position search pattern (H hard, S soft) and the rules tying it to a method and a
// prefix length, and HotFlip's candidates to a method. The sweep spec and tune() options both check
// them here, so the two can never accept different things or say different things about the same
// mistake.
import { option, said, type Said } from '../io/said.js';

/** The three searches: every position soft, every position hard, or a per-position mix. */
export type MethodName = 'soft' | 'hard' | 'hybrid';

/** The pattern soft and hard methods imply: every position soft, or every position hard. */
export function impliedPattern(method: 'soft' | 'hard', prefixLength: number): string {
  return (method === 'soft' ? 'S' : 'H').repeat(prefixLength);
}

/**
 * What is wrong with the letters of a pattern, or null when it holds only H and S. A pattern in
 * small letters is refused, not read as capitals: results keep the pattern as it was typed, and a
 * sweep's method labels, row ids and study files name it in capitals.
 */
export function patternLettersIssue(pattern: string): string | null {
  const bad = /[^HS]/.exec(pattern);
  if (pattern.length > 0 && !bad) return null;
  if (/^[HShs]+$/.test(pattern))
    return `pattern '${pattern}' has small letters: write the pattern in capitals: ${pattern.toUpperCase()}`;
  const what = bad ? `got '${bad[0]}' at position ${bad.index}` : 'got an empty pattern';
  return `pattern '${pattern}' may hold only H and S, ${what}: write only H (hard) and S (soft)`;
}

/**
 * What is wrong with `pattern` for `method` at `prefixLength`, or null when nothing is: hybrid
 * needs one letter H/S per position; soft and hard take none or exactly the one they imply.
 */
export function patternIssue(method: MethodName, pattern: string | undefined, prefixLength: number): Said | null {
  if (method !== 'hybrid') {
    if (pattern === undefined) return null;
    const want = impliedPattern(method, prefixLength);
    return pattern === want
      ? null
      : said`a ${method} method has pattern '${want}'; use ${option('method', 'hybrid')} for '${pattern}'`;
  }
  if (pattern === undefined || pattern === '') {
    const example = 'HH'.padEnd(prefixLength, 'S').slice(0, prefixLength);
    return said`hybrid needs a pattern of ${prefixLength} letters H/S (${option('prefixLength')}), e.g. '${example}'`;
  }
  const letters = patternLettersIssue(pattern);
  if (letters) return said`${letters}`;
  if (pattern.length !== prefixLength) {
    return said`pattern '${pattern}' has ${pattern.length} positions but ${option('prefixLength')} is ${prefixLength}`;
  }
  return null;
}

/**
 * What is wrong with `candidates` for `method` (and a hybrid's `pattern`), or null: soft positions
 * have no HotFlip candidates, so a pattern without an H would run the same rows for every k.
 */
export function candidatesIssue(method: MethodName, candidates: number | undefined, pattern?: string): string | null {
  if (candidates === undefined || candidates === 1) return null;
  if (method === 'soft') return 'candidates applies to hard and hybrid methods, not soft';
  if (method === 'hybrid' && pattern && /^S+$/.test(pattern))
    return `candidates applies to hard positions, and pattern '${pattern}' has none: give an H, or leave candidates out`;
  return null;
}

/**
 * What is wrong with `candidates` HotFlip candidates per hard position of `pattern` on a model
 * (`name`, `vocabSize`) whose hard positions can take `allowed` tokens (those not banned), or null:
 * HotFlip keeps k of them, and with fewer the tuner could only fail in its first hard epoch. The
 * sweep's fit check and tune() both ask here, so they say the same.
 */
export function candidatesBeyondIssue(
  pattern: string,
  candidates: number,
  model: { name: string; vocabSize: number },
  allowed: number,
): string | null {
  if (!pattern.includes('H') || candidates <= allowed) return null;
  const among = allowed < model.vocabSize ? ` not banned (of ${model.vocabSize})` : '';
  return `${candidates} HotFlip candidates per hard position, and ${model.name} has ${allowed} tokens${among} to choose from: give at most ${allowed}`;
}
