// A resume over a finished file of another spec is refused from the file's metadata, before the run
// loads its model or plans its rows (seconds for a sweep of 500,000 rows, all of it thrown away);
// a journal of another spec likewise, from its first message; a journal of this spec beside such a
// file is what the resume continues, and it does.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { loadModel } from '../lib/model/load.js';
import { journalPath, ResultWriter } from '../lib/results/index.js';
import { sweepMetadata } from '../lib/run/metadata.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec } from '../lib/spec/index.js';
import { MICRO_SWEEP } from './helpers/micro-sweep.js';
import { scratchDir } from './helpers/cli.js';

/** `out` resumed with another spec (inits 2), its model loaded on demand and each load counted. */
function resumeOtherSpec(out: string, loads: { count: number }) {
  const model = () => {
    loads.count++;
    return loadModel('random:micro');
  };
  return runSweep(parseSpec({ ...MICRO_SWEEP, bound: false, inits: 2, output: out }), {
    resume: true,
    figures: false,
    model,
  });
}

it('a resume of a finished file of another spec is refused before the model loads, and the file is kept', async () => {
  const out = join(scratchDir('resume-other-spec'), 'r.arrow');
  await runSweep(parseSpec({ ...MICRO_SWEEP, bound: false, output: out }), { figures: false });
  const before = readFileSync(out);
  const loads = { count: 0 };
  await expect(resumeOtherSpec(out, loads)).rejects.toThrow(
    /cannot resume from \S*r\.arrow: the sweep spec differs \(inits 1 in \S*r\.arrow, 2 in this run\)/,
  );
  expect(loads.count).toBe(0);
  expect(readFileSync(out).equals(before)).toBe(true);
  expect(existsSync(journalPath(out))).toBe(false);
}, 300_000);

it("a resume whose journal is this spec's continues it, over a finished file of another spec", async () => {
  const out = join(scratchDir('resume-other-spec'), 'r.arrow');
  await runSweep(parseSpec({ ...MICRO_SWEEP, bound: false, output: out }), { figures: false });
  const other = parseSpec({ ...MICRO_SWEEP, bound: false, inits: 2, output: out });
  // An --overwrite run of the other spec, stopped before its first row: its journal, the old file beside it.
  const model = await loadModel('random:micro');
  try {
    await (await ResultWriter.create(out, sweepMetadata(other, model), { overwrite: true })).close();
    const summary = await runSweep(other, { resume: true, figures: false, model });
    expect(summary).toMatchObject({ start: 'resumable', rows: 4, rowsRun: 4, interrupted: false });
  } finally {
    model.dispose();
  }
}, 300_000);

it('a resume of a journal of another spec is refused before the model loads, and the journal is kept', async () => {
  const out = join(scratchDir('resume-other-spec'), 'r.arrow');
  const first = parseSpec({ ...MICRO_SWEEP, bound: false, output: out });
  // A run of the first spec stopped before its first row: its journal holds the schema and metadata.
  const loaded = await loadModel('random:micro');
  try {
    await (await ResultWriter.create(out, sweepMetadata(first, loaded), {})).close();
  } finally {
    loaded.dispose();
  }
  const before = readFileSync(journalPath(out));
  const loads = { count: 0 };
  await expect(resumeOtherSpec(out, loads)).rejects.toThrow(
    /cannot resume from \S*r\.arrow\.partial: the sweep spec differs \(inits 1 in \S*r\.arrow\.partial, 2 in this run\)/,
  );
  expect(loads.count).toBe(0);
  expect(readFileSync(journalPath(out)).equals(before)).toBe(true);
  expect(existsSync(out)).toBe(false);
}, 300_000);
