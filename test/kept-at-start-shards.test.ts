// keptAtStart of a sweep whose shard files are all beside its output (the run merges them) keeps
// every row of theirs, reading each file once: the first was read twice (for its spec hash, then
// for its rows), and a big sweep's shard files are large. The start tells their spec from the
// first one's footer (a few kB: the schema and its metadata), which the rows here outweigh. What
// the process read is taken from Linux's count of the bytes its reads returned (/proc/self/io),
// not from a stand-in for the file system.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { runSweep, type SweepSpecInput } from '../lib/index.js';
import { keptAtStart } from '../lib/run/kept.js';
import { shardFile } from '../lib/run/shards.js';
import { scratchDir } from './helpers/cli.js';
import { MICRO_SWEEP } from './helpers/micro-sweep.js';

const dir = scratchDir('kept-shards');

/** Bytes this process's read calls have returned so far. */
const bytesRead = () => Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))![1]);

it.runIf(process.platform === 'linux')('a set of shard files to merge is read once each', async () => {
  const output = join(dir, 'r.arrow');
  const spec = {
    ...MICRO_SWEEP,
    targets: [{ kind: 'vanilla', entropyBits: [1, 2, 3, 4, 5, 6, 7, 8], method: 'temperature' }],
    inits: 8,
    bound: false,
    output,
  } as SweepSpecInput;
  const shards = [0, 1].map((index) => shardFile(output, index, 2));
  for (const [index, file] of shards.entries())
    await runSweep({ ...spec, shard: { index, count: 2 }, output: file }, { figures: false });

  // Once before measuring: what the first call loads (modules, the model's identity) is not counted.
  expect((await keptAtStart(spec))?.rowIds.size).toBe(64);
  // The count is the whole process's: a read of the test runner's own (its messages, under load)
  // lands in it too. Such reads only add, so the least of three calls is the call's own.
  let read = Infinity;
  for (let call = 0; call < 3; call++) {
    const before = bytesRead();
    const kept = await keptAtStart(spec);
    read = Math.min(read, bytesRead() - before);
    expect(kept).toMatchObject({ mergedShards: 2 });
    expect(kept!.rowIds.size).toBe(64);
  }
  const [first, second] = shards.map((f) => statSync(f).size);
  expect(read).toBeGreaterThanOrEqual(first + second);
  // Reading the first again would add all of it; the half is room for what else the call reads.
  expect(read).toBeLessThan(first + second + first / 2);
});
