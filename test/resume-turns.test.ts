// A resume decodes its journal a slice of rows per turn of the event loop, so that a Ctrl-C (and
// every other event) is answered while a long journal is read back.
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';

import { parseSpec } from '../lib/spec/index.js';
import { planSweep } from '../lib/sweep/index.js';
import { openForResume, ResultWriter, type ResultMetadata, type RunRecord } from '../lib/results/index.js';
import { scratchDir } from './helpers/cli.js';

const decodes = vi.hoisted(() => ({ whole: 0, sliced: 0 }));
// The real decoders, counted: which one a resume calls.
vi.mock('../lib/results/convert.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../lib/results/convert.js')>();
  return {
    ...real,
    tableToRecords: (...a: Parameters<typeof real.tableToRecords>) => {
      decodes.whole++;
      return real.tableToRecords(...a);
    },
    tableToRecordsYielding: (...a: Parameters<typeof real.tableToRecordsYielding>) => {
      decodes.sliced++;
      return real.tableToRecordsYielding(...a);
    },
  };
});

const spec = parseSpec({ targets: [{ kind: 'vanilla', entropyBits: '0:max:0.5' }], inits: 3 });
const plan = planSweep(spec, 16);
const meta: ResultMetadata = {
  spec,
  model: { name: 'random:tiny-gpt2', hash: 'ab12'.repeat(16) },
  vocabSize: 16,
  version: '0.1.0',
  build: { torch: '2.x', cuda: false },
};
const record = (row: (typeof plan.rows)[number]): RunRecord => ({
  rowId: row.rowId,
  targetId: row.targetId,
  targetKind: 'vanilla',
  initId: row.initId,
  method: row.method,
  pattern: row.pattern,
  candidates: row.candidates,
  prefixLength: 5,
  klNats: 0.5,
  bestEpoch: 3,
  epochs: 5,
  stopReason: 'patience',
  modelEntropyBits: 1,
  targetEntropyBits: 1,
  requestedEntropyBits: 1,
  promptIds: null,
  promptText: null,
  softPrompt: null,
  wallMs: 1,
  shardIndex: 0,
  outliers: null,
  outlierMass: null,
  m: null,
  targetParams: '{}',
});

test('a resume reads its journal back a slice of rows per turn, not in one stretch', async () => {
  const out = join(scratchDir('resume-turns'), 'r.arrow');
  const writer = await ResultWriter.create(out, meta);
  await writer.append(plan.rows.slice(0, 6).map(record));
  await writer.close();
  decodes.whole = decodes.sliced = 0;
  const resumed = await openForResume(out, meta);
  expect(resumed.finished.size).toBe(6);
  expect(decodes).toEqual({ whole: 0, sliced: 1 });
  await resumed.writer.close();
});
