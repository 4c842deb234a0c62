// Results rows made up for what measures or checks a results file itself rather than a run (the
// data digest's cost in bench/digest.ts, its checks in test/file-digest.test.ts; a start over
// shard files in bench/shard-start.ts and test/shard-hash.test.ts): the metadata of a one-target
// sweep, and rows that alternate a hard row (prompt ids and text, no soft prompt) and a soft one
// (a soft prompt, its hard-only columns null); that sweep in two shards, and a shard's journal.
import { recordsToBatch, resultSchema, type ResultMetadata, type RunRecord } from '../lib/results/index.js';
import { batchMessage, schemaMessage } from '../lib/results/journal.js';
import { shardSpec } from '../lib/run/shards.js';
import { parseSpec } from '../lib/spec/index.js';

export const SAMPLE_META: ResultMetadata = {
  spec: parseSpec({ targets: [{ kind: 'vanilla', entropyBits: [1] }], methods: [{ method: 'soft' }] }),
  model: { name: 'random:demo', hash: 'ab12'.repeat(16) },
  vocabSize: 50257,
  version: '0.0.0',
  build: null,
};

/** Row `i`: hard where `i` is even, else soft with `softPrompt`; `over` sets any column. */
export function sampleRecord(i: number, softPrompt: Float32Array, over: Partial<RunRecord> = {}): RunRecord {
  const hard = i % 2 === 0;
  const h = (i % 170) / 10;
  return {
    rowId: `vanilla:h=${h}|${hard ? 'hard' : 'soft'}|init${i}`,
    targetId: `vanilla:h=${h}`,
    targetKind: 'vanilla',
    initId: i,
    method: hard ? 'hard' : 'soft',
    pattern: hard ? 'HHHHH' : 'SSSSS',
    candidates: 64,
    prefixLength: 5,
    klNats: 0.5 + i / 1e6,
    bestEpoch: 40,
    epochs: 60,
    stopReason: 'patience',
    modelEntropyBits: 4.5,
    targetEntropyBits: h,
    requestedEntropyBits: hard ? h : null,
    promptIds: hard ? [i % 50257, 7, 99, 1234, 42] : null,
    promptText: hard ? ` the cat sat ${i}` : null,
    softPrompt: hard ? null : softPrompt,
    wallMs: 12.5,
    shardIndex: 0,
    headBoundNats: hard ? 0.01 : null,
    belowHeadBound: hard ? false : null,
    ...over,
  };
}

/** The soft prompt of the soft sample rows: 5 positions × 64. */
export const SAMPLE_SOFT = new Float32Array(5 * 64).map((_, i) => Math.sin(i));

/** The metadata of shard `index` of 2 of the sample sweep whose output is `output`. */
export function sampleShardMeta(output: string, index: number): ResultMetadata {
  const shard = { index, count: 2 };
  return { ...SAMPLE_META, spec: shardSpec({ ...SAMPLE_META.spec, output }, shard), shard };
}

/** Shard `index`'s `rows` rows, numbered on from the shards before it; `over(i)` sets columns of its row i. */
export function sampleShardRecords(
  index: number,
  rows: number,
  over: (i: number) => Partial<RunRecord> = () => ({}),
): RunRecord[] {
  return Array.from({ length: rows }, (_, i) =>
    sampleRecord(index * rows + i, SAMPLE_SOFT, { shardIndex: index, ...over(i) }),
  );
}

/** The journal an interrupted run leaves of `records`: its schema, then batches of `batchRows` rows. */
export function journalBytes(meta: ResultMetadata, records: readonly RunRecord[], batchRows: number): Buffer {
  const schema = resultSchema(meta);
  const messages = [schemaMessage(schema)];
  for (let i = 0; i < records.length; i += batchRows)
    messages.push(batchMessage(schema, recordsToBatch(schema, records.slice(i, i + batchRows))));
  return Buffer.concat(messages);
}
