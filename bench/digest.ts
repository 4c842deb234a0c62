// What the data digest a results or targets file carries (lib/io/arrow-digest.ts) costs: the
// writing and the reading of a large file with it against the same without it, in one run.
// Results: --rows rows (100,000; --quick 10,000), half hard rows (5 prompt ids and their text),
// half soft (a 5 × 64 float32 soft prompt), written as finish() writes them (with) and as it did
// before (Arrow's own file writer alone), read by readResults (which checks a digest where the file
// has one) from the file and from the same file without its digest. Targets: --target-rows rows
// (64; --quick 8) over --vocab tokens (128,256), Arrow's file writer on the same table with and
// without the digest, and readTargetFile of each (which reads, checks and validates every row).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';

import { arrowFileWithDigest, DATA_DIGEST_KEY } from '../lib/io/arrow-digest.js';
import { readResults, recordsToBatch, resultFileBytes, resultSchema } from '../lib/results/index.js';
import { FINAL_BATCH_ROWS } from '../lib/results/writer.js';
import { readTargetFile } from '../lib/targets/file.js';
import type { TargetMeta } from '../lib/targets/index.js';
import { targetArrowBytes } from '../lib/targets/write-arrow.js';
import { save } from './common.js';
import { args, OUT_DIR, QUICK } from './flags.js';
import { SAMPLE_META, sampleRecord } from './results-rows.js';

const a = args('digest.js', {
  '--rows': { takes: 'number', default: 100_000, quick: 10_000, about: 'rows of the results file' },
  '--target-rows': { takes: 'number', default: 64, quick: 8, about: 'rows of the targets file' },
  '--vocab': { takes: 'number', default: 128_256, about: "the targets' vocabulary" },
  ...QUICK,
  ...OUT_DIR,
});
const quick = a.has('--quick');
const rows = a.num('--rows');
const targetRows = a.num('--target-rows');
const vocab = a.num('--vocab');
const reps = quick ? 1 : 5;
const dir = mkdtempSync(join(tmpdir(), 'distprompt-bench-digest-'));

type Step = { run: (rep: number) => unknown; setup?: (rep: number) => void };

/**
 * Median seconds of `reps` runs of each step after one warm-up of each, the two taking turns, so
 * that a shared machine's load falls on both alike; `setup` runs untimed before each run.
 */
async function paired(withDigest: Step, without: Step): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  for (let rep = 0; rep <= reps; rep++) {
    for (const [i, step] of [withDigest, without].entries()) {
      step.setup?.(rep);
      const t0 = performance.now();
      await step.run(rep);
      if (rep > 0) times[i].push((performance.now() - t0) / 1000);
    }
  }
  const median = (t: number[]) => t.sort((x, y) => x - y)[Math.floor(t.length / 2)];
  return [median(times[0]), median(times[1])];
}

/** The file's table written again by Arrow without the digest key: a file as written before it. */
function withoutDigest(bytes: Uint8Array): Uint8Array {
  const table = tableFromIPC(bytes);
  const metadata = new Map(table.schema.metadata);
  metadata.delete(DATA_DIGEST_KEY);
  return tableToIPC(new Table(new Schema(table.schema.fields, metadata), table.batches), 'file');
}

// ---- results ----
const meta = SAMPLE_META;
const soft = new Float32Array(5 * 64).map((_, i) => Math.sin(i));
const records = Array.from({ length: rows }, (_, i) => sampleRecord(i, soft));
const schema = resultSchema(meta);
/** The final file as finish() wrote it before files carried a digest. */
const plainResultBytes = () => {
  const batches = [];
  for (let i = 0; i < rows; i += FINAL_BATCH_ROWS)
    batches.push(recordsToBatch(schema, records.slice(i, i + FINAL_BATCH_ROWS)));
  return tableToIPC(new Table(schema, batches), 'file');
};
const [resultsWith, resultsWithout] = await paired(
  { run: () => resultFileBytes(meta, records) },
  { run: plainResultBytes },
);
const digested = resultFileBytes(meta, records);
const resultsPath = join(dir, 'with.arrow');
const resultsPlainPath = join(dir, 'without.arrow');
writeFileSync(resultsPath, digested);
writeFileSync(resultsPlainPath, withoutDigest(digested));
const [readWith, readWithout] = await paired(
  { run: () => readResults(resultsPath) },
  { run: () => readResults(resultsPlainPath) },
);

// ---- targets ----
const data = new Float32Array(targetRows * vocab).fill(1 / vocab);
const targetMeta: TargetMeta[] = Array.from({ length: targetRows }, (_, i) => ({
  id: `vanilla:h=${i}`,
  kind: 'vanilla',
  entropyBits: Math.log2(vocab),
  requestedEntropyBits: null,
  seed: i,
  params: {},
}));
const targetsTable = tableFromIPC(withoutDigest(targetArrowBytes(data, targetMeta, vocab)));
const [targetsWith, targetsWithout] = await paired(
  { run: () => arrowFileWithDigest(targetsTable) },
  { run: () => tableToIPC(targetsTable, 'file') },
);
const targetFile = (kind: string, rep: number) => join(dir, `t-${kind}-${rep}.arrow`);
const targetBytes = arrowFileWithDigest(targetsTable);
const targetPlain = withoutDigest(targetBytes);
// A new file each time: the reader keeps a file it has read, by path and stat.
const [targetsReadWith, targetsReadWithout] = await paired(
  {
    run: (rep) => readTargetFile(targetFile('with', rep), vocab),
    setup: (rep) => writeFileSync(targetFile('with', rep), targetBytes),
  },
  {
    run: (rep) => readTargetFile(targetFile('without', rep), vocab),
    setup: (rep) => writeFileSync(targetFile('without', rep), targetPlain),
  },
);
rmSync(dir, { recursive: true, force: true });

const MiB = (n: number) => (n / 2 ** 20).toFixed(1);
const line = (what: string, size: number, op: string, w: number, wo: number) =>
  `| ${what} | ${MiB(size)} MiB | ${op} | ${wo.toFixed(3)} | ${w.toFixed(3)} | ${(w / wo).toFixed(2)} |`;
save(
  'digest-cpu',
  {
    reps,
    results: {
      rows,
      bytes: digested.length,
      write: { withSeconds: resultsWith, withoutSeconds: resultsWithout, ratio: resultsWith / resultsWithout },
      read: { withSeconds: readWith, withoutSeconds: readWithout, ratio: readWith / readWithout },
    },
    targets: {
      rows: targetRows,
      vocab,
      bytes: targetBytes.length,
      write: { withSeconds: targetsWith, withoutSeconds: targetsWithout, ratio: targetsWith / targetsWithout },
      read: {
        withSeconds: targetsReadWith,
        withoutSeconds: targetsReadWithout,
        ratio: targetsReadWith / targetsReadWithout,
      },
    },
  },
  [
    '| file | size | step | s without digest | s with | with / without |',
    '|---|---|---|---|---|---|',
    line(`results, ${rows.toLocaleString('en-US')} rows`, digested.length, 'write', resultsWith, resultsWithout),
    line(`results, ${rows.toLocaleString('en-US')} rows`, digested.length, 'read', readWith, readWithout),
    line(`targets, ${targetRows} × ${vocab}`, targetBytes.length, 'write', targetsWith, targetsWithout),
    line(`targets, ${targetRows} × ${vocab}`, targetBytes.length, 'read', targetsReadWith, targetsReadWithout),
  ],
);
