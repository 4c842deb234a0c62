// keptAtStart(spec, options) prices the run those options start: its options are checked as
// runSweep checks them, so that a misspelt or non-boolean one is refused rather than read as
// another run (a `resume: 'no'` read as a resume, a `overWrite` dropped).
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { keptAtStart } from '../lib/run/kept.js';
import type { SweepSpecInput } from '../lib/spec/index.js';
import { MICRO_SWEEP } from './helpers/micro-sweep.js';
import { scratchDir } from './helpers/cli.js';

const dir = scratchDir('kept-options');
const spec = { ...MICRO_SWEEP, output: join(dir, 'r.arrow') } as SweepSpecInput;

it('refuses options runSweep would refuse, naming them', async () => {
  await expect(keptAtStart(spec, { resume: 'no' } as never)).rejects.toThrow(
    /^keptAtStart: option resume must be true or false, got 'no'/,
  );
  await expect(keptAtStart(spec, { overWrite: true } as never)).rejects.toThrow(/^keptAtStart: .*overWrite/);
  await expect(keptAtStart(spec, null as never)).rejects.toThrow(/^keptAtStart: expected an object of options/);
  // Nothing at the output: a fresh run keeps nothing, a resume nothing yet.
  expect(await keptAtStart(spec, {})).toBeUndefined();
  expect((await keptAtStart(spec, { resume: true }))?.rowIds.size).toBe(0);
});
