// A failure after every row is safe on disk says where the rows are and what to do: figures that
// cannot be written (a full disk; here a folder where a figure's file goes) name the finished
// results file and the command that draws them; a merge of a sweep's shard files that cannot be
// written names the shard files that keep every row.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';

import { readResults } from '../lib/results/index.js';
import { mergeSweepShards } from '../lib/run/merge.js';
import { runCli, scratchDir } from './helpers/cli.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';

const dir = scratchDir('after-results');
const run = (...args: string[]) => runCli(args, dir);

beforeAll(() => {
  writeMicroConfig(dir, 's.json');
});

test('figures that cannot be written: the message names the finished results and how to draw them', async () => {
  mkdirSync(join(dir, 'figs', 'kl-vs-entropy.svg'), { recursive: true });
  const r = run('sweep', '-c', 's.json', '-o', 'r.arrow', '--figures', 'figs');
  expect(r.stderr).toMatch(
    /figs\/kl-vs-entropy\.svg is a directory.*; the results are complete in r\.arrow: draw the figures with distprompt plot r\.arrow/,
  );
  expect(r.status).toBe(2);
  expect((await readResults(join(dir, 'r.arrow'))).records).toHaveLength(2);
});

test("a sweep's shard files whose merge cannot be written: every row is kept in them, named", async () => {
  const shards = [0, 1].map((i) => join(dir, `m.shard${i}of2.arrow`));
  for (const [i, file] of shards.entries()) {
    const r = run('sweep', '-c', 's.json', '-o', file, '--shard', `${i}/2`, '--no-figures', '-q');
    expect(r.status, r.stderr).toBe(0);
  }
  // A folder where the merged file is renamed to, as a full disk would fail the write.
  const out = join(dir, 'merged.arrow');
  mkdirSync(out);
  await expect(mergeSweepShards(shards, out, { overwrite: true })).rejects.toThrow(
    `every row is kept in ${shards.join(', ')}: rerun with { resume: true } to merge them`,
  );
  for (const s of shards) expect(existsSync(s)).toBe(true);
});
