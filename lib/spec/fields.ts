// Field builders the sweep spec and tune() options share, so a field's rule and its message are
// written once: a positive integer says what it is and what it got.
import { z } from 'zod';

import { MAX_SWEEP_ROWS } from './limits.js';

/** A value as a message shows it: strings quoted, numbers as written (NaN too), anything else as JSON. */
export const shown = (v: unknown): string =>
  typeof v === 'string' ? `'${v}'` : typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));

export const positiveInt = (what: string) =>
  z
    .number({ error: (iss) => `expected ${what} to be a positive integer, got ${shown(iss.input)}` })
    .int({ error: `${what} must be an integer` })
    .min(1, { error: `${what} must be >= 1` });

/** A count that multiplies the rows of a sweep: at most MAX_SWEEP_ROWS (lib/spec/limits.ts). */
export const countInt = (what: string) =>
  positiveInt(what).max(MAX_SWEEP_ROWS, {
    error: `${what} must be at most ${MAX_SWEEP_ROWS.toLocaleString('en-US')} (the rows a sweep may plan)`,
  });
