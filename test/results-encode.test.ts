// The journal's record batches built straight into typed arrays (lib/results/encode.ts) against
// Arrow's own builders (the plain reference): the same bytes on disk, for every column kind, with
// and without nulls, at batch sizes on either side of a validity byte and of a 64-byte buffer.
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

import {
  recordsToBatch,
  resultSchema,
  tableToRecords,
  tableToRecordsYielding,
  type ResultMetadata,
  type RunRecord,
} from '../lib/results/index.js';
import { batchMessage, schemaMessage, EOS } from '../lib/results/journal.js';
import { parseSpec } from '../lib/spec/index.js';
import { recordsToBatchReference } from './helpers/records-to-batch-reference.js';
import { turnClock } from './helpers/turns.js';

const schema = resultSchema({
  spec: parseSpec({ targets: [{ kind: 'vanilla', entropyBits: [1] }], methods: [{ method: 'soft' }] }),
  model: { name: 'random:micro', hash: 'ab12'.repeat(16) },
  vocabSize: 1000,
  version: '0.1.0',
  build: { torch: '2.x', cuda: false },
} as ResultMetadata);

/** Row i: every nullable field null on some rows, set on others; strings, lists and flags vary. */
function record(i: number): RunRecord {
  const some = <T>(every: number, v: T): T | null => (i % every === 0 ? v : null);
  const hard = i % 3 !== 0;
  return {
    rowId: `vanilla:h=${i / 8}:s=0|init=${i % 4}|${hard ? 'hard:k=8' : 'soft'}`,
    targetId: `vanilla:h=${i / 8}:s=0`,
    targetKind: i % 5 === 0 ? 'pos-uniform' : 'vanilla',
    initId: i % 4,
    method: hard ? 'hard' : 'soft',
    pattern: hard ? 'HHHHH' : 'SSSSS',
    candidates: hard ? 8 : 1,
    prefixLength: 5,
    klNats: i === 7 ? Number.NaN : 0.1 * i - 1,
    bestEpoch: i,
    epochs: i + 3,
    stopReason: i % 2 ? 'patience' : 'converged',
    modelEntropyBits: 3.25,
    targetEntropyBits: i / 8,
    requestedEntropyBits: some(2, i / 8),
    promptIds: hard ? (i % 2 ? [3, 7, -1, 2 ** 31 - 1, 0] : Int32Array.from([1, 2, 3, 4, 5])) : null,
    promptText: hard ? ['', ` the cat é中文😀 ${i}`, 'a lone \ud83d surrogate', `x${i}`][i % 4] : null,
    softPrompt: hard ? null : i % 2 ? new Float32Array(i % 7) : Array.from({ length: 10 }, (_, k) => k / 3 - i),
    wallMs: 12.5 + i,
    shardIndex: i % 3,
    outliers: some(3, 2),
    outlierMass: some(3, 0.42),
    m: some(4, 0.43),
    sourceModel: some(6, 'random:tiny-llama3'),
    shuffleIndex: some(5, i),
    posTag: some(5, 'noun'),
    lmPromptIds: some(7, i % 2 ? [] : [9, 8]),
    pairedWith: some(9, `lm:${i}`),
    targetParams: JSON.stringify({ seed: i }),
    headBoundNats: some(2, 0.2),
    headBoundGapNats: some(2, 1e-9),
    bottleneckBoundNats: some(3, 0.1),
    bottleneckConverged: i % 3 === 0 ? i % 2 === 0 : null,
    bodyGapNats: some(2, 0.5),
    belowHeadBound: i % 2 === 0 ? i % 4 === 0 : null,
    sphereBoundNats: some(2, 0.3),
    sphereStarts: some(2, 4),
    sphereResidual: some(2, 1e-7),
    bottleneckStatus: i % 3 === 0 ? (i % 2 ? 'limit' : 'minimum') : null,
  };
}

describe('a journal record batch built without Arrow builders', () => {
  for (const n of [1, 7, 8, 9, 17, 64, 65, 300]) {
    it(`writes the builders' bytes for ${n} rows, and reads back the same rows`, () => {
      const records = Array.from({ length: n }, (_, i) => record(i + (n === 1 ? 1 : 0)));
      const bytes = batchMessage(schema, recordsToBatch(schema, records));
      expect(Buffer.from(bytes).equals(batchMessage(schema, recordsToBatchReference(schema, records)))).toBe(true);
      const table = tableFromIPC([schemaMessage(schema), bytes, EOS]);
      expect(table.numRows).toBe(n);
      expect(table.getChild('promptText')!.get(n - 1)).toBe(records[n - 1].promptText ?? null);
    });
  }
  it('writes a row whose nullable fields are all absent', () => {
    const { rowId, targetId, targetKind, initId, method, pattern, candidates, prefixLength } = record(3);
    const bare = { rowId, targetId, targetKind, initId, method, pattern, candidates, prefixLength } as RunRecord;
    Object.assign(bare, { klNats: 1, bestEpoch: 0, epochs: 1, stopReason: 'max_epochs' });
    Object.assign(bare, { modelEntropyBits: 1, targetEntropyBits: 2, wallMs: 3, shardIndex: 0 });
    const records = [bare, record(4), bare];
    expect(
      Buffer.from(batchMessage(schema, recordsToBatch(schema, records))).equals(
        batchMessage(schema, recordsToBatchReference(schema, records)),
      ),
    ).toBe(true);
  });
});

describe('rows decoded a slice at a time between turns of the event loop', () => {
  for (const [n, perTurn] of [
    [0, 4],
    [1, 4],
    [4, 4],
    [5, 4],
    [9, 4],
    [300, 64],
  ] as const) {
    // A turn between slices of the one batch, and one after it.
    const turnsBetween = Math.max(0, Math.ceil(n / perTurn) - 1) + 1;
    it(`gives tableToRecords' rows for ${n} rows, ${perTurn} a turn, with ${turnsBetween} turns of the loop (between slices, and after the batch)`, async () => {
      const records = Array.from({ length: n }, (_, i) => record(i));
      const table = tableFromIPC([schemaMessage(schema), batchMessage(schema, recordsToBatch(schema, records)), EOS]);
      // The turns of the loop until the decode is done.
      const clock = turnClock();
      const decoded = await tableToRecordsYielding(table, perTurn);
      clock.stop();
      expect(clock.turn).toBe(turnsBetween);
      expect(decoded).toHaveLength(n);
      expect(decoded).toEqual(tableToRecords(table));
    });
  }
});
