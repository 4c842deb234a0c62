// Which sweep a shard file was written by is read from its footer (a few small reads), a journal's
// from its first message, not from their rows: a run that finds shards beside its output (leftovers
// of a merge, shards run again after one, some unfinished) reads a few kB of each where it read each
// whole. A shard whose footer reads but whose rows are damaged is told as the sweep's it is, and the
// merge that reads its rows names the damage; one whose footer does not read (cut short) is treated
// as before: nobody's, or, as the first of a set to merge, read whole and refused.
import { existsSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { journalPath, resultFileBytes } from '../lib/results/index.js';
import { incompleteShards, removeMergedShards, shardFile } from '../lib/run/shards.js';
import { runSweep } from '../lib/index.js';
import { sweepStart } from '../lib/run/start.js';
import { specHash, type SweepSpec } from '../lib/spec/index.js';
import { journalBytes, SAMPLE_META, sampleShardMeta, sampleShardRecords } from '../bench/results-rows.js';
import { scratchDirs } from './helpers/cli.js';

const folder = scratchDirs('shard-hash');

/** A value no other byte of a shard holds: its klNats, damaged in one row to damage that shard's rows. */
const KL = 0.7316294562918374;

/** A sweep whose output is `<dir>/r.arrow`, its merged file there and its two shard files of `rows` rows each beside it. */
function mergedSweep(dir: string, rows: number): { spec: SweepSpec; shards: string[] } {
  const spec = { ...SAMPLE_META.spec, output: join(dir, 'r.arrow') };
  const shards = [0, 1].map((index) => {
    const records = sampleShardRecords(index, rows, (i) => (i === 1 ? { klNats: KL } : {}));
    const file = shardFile(spec.output, index, 2);
    writeFileSync(file, resultFileBytes(sampleShardMeta(spec.output, index), records));
    return file;
  });
  writeFileSync(spec.output, resultFileBytes(SAMPLE_META, []));
  return { spec, shards };
}

/** Flips a byte of the one damaged-on-purpose value in `file`'s rows (its footer and metadata untouched). */
function damageRows(file: string): void {
  const bytes = readFileSync(file);
  const value = Buffer.alloc(8);
  value.writeDoubleLE(KL);
  const at = bytes.indexOf(value);
  expect(at).toBeGreaterThan(0);
  expect(bytes.indexOf(value, at + 1)).toBe(-1);
  bytes[at] ^= 0xff;
  writeFileSync(file, bytes);
}

/** Sets `file`'s times `seconds` from the merged file's: shards a merge left are older, ones run again newer. */
const stamp = (file: string, output: string, seconds: number) => {
  const t = statSync(output).mtimeMs / 1000 + seconds;
  utimesSync(file, t, t);
};

/** Bytes this process's read calls have returned so far (Linux's count). */
const bytesRead = () => Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))![1]);

it.runIf(process.platform === 'linux')(
  "the shards a merge left beside its file are told as this sweep's from their footers, not read whole",
  async () => {
    const dir = folder();
    const { spec, shards } = mergedSweep(dir, 5000);
    for (const f of shards) stamp(f, spec.output, -10);
    const sizes = shards.map((f) => statSync(f).size);
    const before = bytesRead();
    await removeMergedShards(spec.output, 2, specHash(spec));
    const read = bytesRead() - before;
    expect(shards.filter((f) => existsSync(f))).toEqual([]);
    // Each is megabytes; a footer and the batches' message headers are a few kB. The count is the
    // whole process's (the runner's reads land in it too), so the bound is the smaller file's half.
    expect(read).toBeLessThan(Math.min(...sizes) / 2);
  },
);

it.runIf(process.platform === 'linux')(
  "a shard's journal is told as this sweep's from its first message, a finished shard from its footer, neither read whole",
  async () => {
    const dir = folder();
    const { spec, shards } = mergedSweep(dir, 5000);
    // Shard 1 as an interrupted run leaves it: its rows in its journal, no finished file.
    const journal = journalBytes(sampleShardMeta(spec.output, 1), sampleShardRecords(1, 5000), 500);
    writeFileSync(journalPath(shards[1]), journal);
    rmSync(shards[1]);
    const sizes = [shards[0], journalPath(shards[1])].map((f) => statSync(f).size);
    const before = bytesRead();
    expect(await incompleteShards(spec.output, specHash(spec))).toEqual({ count: 2, unfinished: [1], missing: [] });
    expect(bytesRead() - before).toBeLessThan(Math.min(...sizes) / 2);
  },
);

it.runIf(process.platform === 'linux')(
  "a complete set of this sweep's shards, no merged file: the start tells them mergeable from the first one's footer, not reading it whole",
  async () => {
    const { spec, shards } = mergedSweep(folder(), 5000);
    rmSync(spec.output);
    const before = bytesRead();
    expect((await sweepStart(spec)).state).toBe('mergeable');
    expect(bytesRead() - before).toBeLessThan(statSync(shards[0]).size / 2);
  },
);

it("a leftover shard whose rows are damaged but whose footer reads is this sweep's: removed with the others", async () => {
  const dir = folder();
  const { spec, shards } = mergedSweep(dir, 20);
  damageRows(shards[0]);
  for (const f of shards) stamp(f, spec.output, -10);
  await removeMergedShards(spec.output, 2, specHash(spec));
  // Every row of a shard the merge left is in the merged file: a damaged copy of them keeps nothing.
  expect(shards.filter((f) => existsSync(f))).toEqual([]);
});

it('shards run again after a merge, one with damaged rows: the merge of them names the damage, rather than the older merged file being taken as the sweep', async () => {
  const dir = folder();
  const { spec, shards } = mergedSweep(dir, 20);
  damageRows(shards[0]);
  for (const f of shards) stamp(f, spec.output, 10);
  const merged = readFileSync(spec.output);
  await expect(runSweep(spec, { resume: true, figures: false })).rejects.toThrow(
    `${shards[0]}: its data do not match the digest written with it (column 'klNats')`,
  );
  expect(readFileSync(spec.output).equals(merged)).toBe(true);
});

it("a shard cut short (its footer gone) is told as nobody's, as before: a leftover of it is kept, and shards run again after a merge are not merged", async () => {
  const dir = folder();
  const { spec, shards } = mergedSweep(dir, 20);
  truncateSync(shards[0], statSync(shards[0]).size - 100);
  for (const f of shards) stamp(f, spec.output, -10);
  await removeMergedShards(spec.output, 2, specHash(spec));
  expect(shards.map((f) => existsSync(f))).toEqual([true, false]);

  const rerun = mergedSweep(folder(), 20);
  truncateSync(rerun.shards[0], statSync(rerun.shards[0]).size - 100);
  for (const f of rerun.shards) stamp(f, rerun.spec.output, 10);
  const start = await sweepStart(rerun.spec, { resume: true, modelIdentity: SAMPLE_META.model.hash });
  expect(start.state).toBe('finished');

  // Every shard there and no merged file: the start reads the first whole and refuses it, naming it.
  const set = mergedSweep(folder(), 20);
  rmSync(set.spec.output);
  truncateSync(set.shards[0], statSync(set.shards[0]).size - 100);
  await expect(sweepStart(set.spec)).rejects.toThrow(`${set.shards[0]} is not a results file`);
});
