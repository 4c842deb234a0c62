// Field builders the sweep spec, tune() and headBound() options share, so a field's rule and its
// message are written once: a positive integer says what it is and what it got. A message follows
// its field's path wherever it is shown (`maxEpochs: must be >= 1, got 0`; on the command line
// `--max-epochs: …`), so it never names the field itself.
import { z } from 'zod';

import { MAX_SWEEP_ROWS } from './limits.js';

/** A value as a message shows it: strings quoted, numbers as written (NaN too), anything else as JSON. */
export const shown = (v: unknown): string =>
  typeof v === 'string' ? `'${v}'` : typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));

/** What a wrong array is, as a message names it (a Float64Array of 6 values, an Array of 1000, undefined). */
export function described(t: unknown): string {
  if (t === null || typeof t !== 'object') return String(t);
  const length = (t as { length?: unknown }).length;
  return `${t.constructor?.name ?? 'an object'}${typeof length === 'number' ? ` of ${length} values` : ''}`;
}

/** `'a', 'b' or 'c'`: the values a field takes, as a message lists them. */
const alternatives = (values: readonly string[]): string => {
  const q = values.map((v) => `'${v}'`);
  return q.length > 1 ? `${q.slice(0, -1).join(', ')} or ${q.at(-1)}` : q.join('');
};

/** A field that takes one of a few names: a misspelt one is named with the names there are. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (iss) => `must be ${alternatives(values)}, got ${shown(iss.input)}` });

/** A field that is true or false. */
export const flag = () => z.boolean({ error: (iss) => `expected true or false, got ${shown(iss.input)}` });

/** Every call's `signal` option, one rule: undefined when `v` is one (or absent), else what is wrong. */
export const signalProblem = (v: unknown): string | undefined =>
  v === undefined || v instanceof AbortSignal
    ? undefined
    : `must be an AbortSignal (new AbortController().signal), got ${shown(v)}`;

/** Keys nobody knows, each named with the known ones: a misspelt option is refused, never dropped (and its default run). */
export const unknownKeys = (keys: readonly string[], known: readonly string[], what = 'option'): string =>
  `unknown ${what}${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')} (known: ${known.join(', ')})`;

/** Throws `error(message)` when `given` has a key `known` lacks (message: unknownKeys, prefixed by `owner`). */
export function refuseUnknownKeys(
  owner: string,
  given: object,
  known: Record<string, true>,
  error: (message: string) => Error,
  what = 'option',
): void {
  // Called with nothing (a function called without its options), Object.keys would throw a bare TypeError.
  if (given === null || typeof given !== 'object' || Array.isArray(given) || ArrayBuffer.isView(given))
    throw error(`${owner}: expected an object of ${what}s (${Object.keys(known).join(', ')}), got ${shown(given)}`);
  const unknown = Object.keys(given).filter((k) => !(k in known));
  if (unknown.length) throw error(`${owner}: ${unknownKeys(unknown, Object.keys(known), what)}`);
}

/** A strict zod object's message for unknown keys (unknownKeys); other issues keep their own. */
export const unknownKeysError =
  (known: readonly string[], suffix = '', what = 'option') =>
  (iss: { code?: string; keys?: string[] }): string | undefined =>
    iss.code === 'unrecognized_keys' && iss.keys ? unknownKeys(iss.keys, known, what) + suffix : undefined;

export const positiveInt = () =>
  z
    .number({ error: (iss) => `expected a positive integer, got ${shown(iss.input)}` })
    .int({ error: (iss) => `must be an integer, got ${shown(iss.input)}` })
    .min(1, { error: (iss) => `must be >= 1, got ${shown(iss.input)}` });

/** An integer >= 0 (a seed, a count that may be none). */
export const nonNegativeInt = () =>
  z
    .number({ error: (iss) => `expected an integer >= 0, got ${shown(iss.input)}` })
    .int({ error: (iss) => `must be an integer, got ${shown(iss.input)}` })
    .min(0, { error: (iss) => `must be >= 0, got ${shown(iss.input)}` });

/** A positive integer of at most `max`. */
export const intUpTo = (max: number) =>
  positiveInt().max(max, { error: (iss) => `must be at most ${max}, got ${shown(iss.input)}` });

/** A number above 0 that is finite (Infinity and NaN are refused by name). */
export const positiveNumber = () =>
  z
    .number({ error: (iss) => `expected a number > 0, got ${shown(iss.input)}` })
    .refine((v) => Number.isFinite(v) && v > 0, {
      error: (iss) => `must be a finite number > 0, got ${shown(iss.input)}`,
    });

/** A count that multiplies the rows of a sweep: at most MAX_SWEEP_ROWS (lib/spec/limits.ts). */
export const countInt = () =>
  positiveInt().max(MAX_SWEEP_ROWS, {
    error: `must be at most ${MAX_SWEEP_ROWS.toLocaleString('en-US')} (the rows a sweep may plan)`,
  });
