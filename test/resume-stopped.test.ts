// A Ctrl-C while a resume reads its rows back, before it changes any file, ends the run at once and
// says where those rows stand: a finished file's resume (its own spec) stops its decode too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { runSweep } from '../lib/run/sweep.js';
import { parseSpec } from '../lib/spec/index.js';
import { MICRO_SWEEP } from './helpers/micro-sweep.js';
import { scratchDir } from './helpers/cli.js';

it('a resume of a finished file stopped while it reads the rows back keeps the file as it was, and says so', async () => {
  const out = join(scratchDir('resume-stopped'), 'r.arrow');
  const spec = parseSpec({ ...MICRO_SWEEP, bound: false, output: out });
  await runSweep(spec, { figures: false });
  const before = readFileSync(out);
  const stop = new AbortController();
  stop.abort();
  // Aborted from the start: the decode stops at its first turn, where it went on to hand every row back.
  const summary = await runSweep(spec, { resume: true, figures: false, signal: stop.signal });
  expect(summary).toMatchObject({ interrupted: true, keptIn: out, rowsResumed: 2, rowsRun: 0, records: [] });
  expect(readFileSync(out).equals(before)).toBe(true);
}, 300_000);
