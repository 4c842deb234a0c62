// Results rows made up for what measures or checks a results file itself rather than a run (the
// data digest's cost in bench/digest.ts, its checks in test/file-digest.test.ts): the metadata of
// a one-target sweep, and rows that alternate a hard row (prompt ids and text, no soft prompt) and
// a soft one (a soft prompt, its hard-only columns null).
import type { ResultMetadata, RunRecord } from '../lib/results/index.js';
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
