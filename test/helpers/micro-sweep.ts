// The smallest sweep the CLI tests run: one target pair, one init, a few epochs on the
// 1000-token micro model; written as a --config file into a test's folder.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { SweepSpecInput } from '../../lib/spec/schema.js';

export const MICRO_SWEEP = {
  model: 'random:micro',
  targets: [{ kind: 'vanilla', entropyBits: [2, 5], method: 'temperature' }],
  methods: [{ method: 'soft' }],
  inits: 1,
  maxEpochs: 5,
  patience: 5,
} satisfies SweepSpecInput;

/** Writes `<dir>/<name>`: the micro sweep with `over` laid on it; returns `name`. */
export function writeMicroConfig(dir: string, name: string, over: object = {}): string {
  writeFileSync(join(dir, name), JSON.stringify({ ...MICRO_SWEEP, ...over }));
  return name;
}

/** The plan tests' sweep: every method kind (soft, hard, a hybrid) on three targets, two inits. */
export const PLAN_SWEEP = {
  model: 'random:micro',
  targets: [{ kind: 'vanilla', entropyBits: [0, 3, 6], method: 'temperature' }],
  methods: [{ method: 'soft' }, { method: 'hard' }, { method: 'hybrid', pattern: 'HSS' }],
  prefixLength: 3,
  inits: 2,
  maxEpochs: 30,
  patience: 5,
};
