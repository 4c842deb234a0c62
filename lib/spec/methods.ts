// A method is soft, hard (HotFlip with k candidates) or hybrid (a per-position H/S pattern).
// Its label — 'soft', 'hard:k=4', 'hybrid:HHSSS:k=1' — is used in row ids and on the command line,
// so parsing and printing it are each other's inverse.
import { STUDY_DEFAULTS } from './defaults.js';
import { impliedPattern, type MethodName } from './pattern.js';

export type { MethodName };

export interface MethodEntry {
  method: MethodName;
  /** Per-position H (hard) / S (soft); required for hybrid, implied for soft and hard. */
  pattern?: string;
  /** HotFlip candidates evaluated per position (1 = linearised argmin); ignored for soft. */
  candidates?: number;
}

export interface ResolvedMethod {
  method: MethodName;
  pattern: string;
  candidates: number;
  label: string;
}

export function resolveMethod(entry: MethodEntry, prefixLength: number): ResolvedMethod {
  const candidates = entry.method === 'soft' ? 1 : (entry.candidates ?? STUDY_DEFAULTS.candidates);
  const pattern = entry.method === 'hybrid' ? (entry.pattern ?? '') : impliedPattern(entry.method, prefixLength);
  return { method: entry.method, pattern, candidates, label: methodLabel(entry.method, pattern, candidates) };
}

export function methodLabel(method: MethodName, pattern: string, candidates: number): string {
  if (method === 'soft') return 'soft';
  if (method === 'hard') return `hard:k=${candidates}`;
  return `hybrid:${pattern}:k=${candidates}`;
}

/**
 * Parses 'soft' | 'hard' | 'hard:k=4' | 'hybrid:HHSSS' | 'hybrid:HHSSS:k=2'.
 * Returns a message string for malformed labels so callers can attach the field path.
 */
export function parseMethodLabel(text: string): MethodEntry | string {
  const parts = text.trim().split(':');
  const name = parts[0];
  if (name !== 'soft' && name !== 'hard' && name !== 'hybrid') {
    return `unknown method '${name}': expected soft, hard[:k=N] or hybrid:PATTERN[:k=N]`;
  }
  const entry: MethodEntry = { method: name };
  for (const part of parts.slice(1)) {
    const k = /^k=(\d+)$/.exec(part);
    // Given twice, one value would be dropped without a word ('hard:k=2:k=3').
    if ((k && entry.candidates !== undefined) || (!k && entry.pattern !== undefined))
      return `method '${text}' gives ${k ? 'k' : 'a pattern'} twice: give it once`;
    if (k) entry.candidates = Number(k[1]);
    // Kept as typed: the spec's pattern rule (patternLettersIssue) refuses small letters, as it does in a file.
    else if (name === 'hybrid' && /^[A-Za-z]+$/.test(part)) entry.pattern = part;
    else
      return `cannot read '${part}' in method '${text}': expected k=N${name === 'hybrid' ? ' or a pattern such as HHSSS' : ''}`;
  }
  if (name === 'soft' && entry.candidates !== undefined) return `method 'soft' takes no k (in '${text}')`;
  return entry;
}
