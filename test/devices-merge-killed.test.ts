// A run over --devices merges its workers' shard files, then removes them. Killed between the two
// (the merged file renamed into place, the shards not yet removed), its --resume finds the sweep
// finished: it removes the shards the merge left, rather than leaving them beside the file for good.
// The state such a kill leaves is made here as the run makes it: shard files, then the merge of them.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { mergeSweepShards } from '../lib/run/merge.js';
import { readResults } from '../lib/results/index.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';
import { runCli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('devices-merge-killed');
const shards = (out: string) => [0, 1].map((i) => out.replace(/\.arrow$/, `.shard${i}of2.arrow`));

it('a sweep over --devices killed after its merge, before removing the shards: --resume removes them', async () => {
  const config = writeMicroConfig(dir, 'spec.json', { bound: false });
  const sweep = (...extra: string[]) => runCli(['sweep', '-c', config, '--no-figures', ...extra], dir);
  const files = shards('r.arrow');
  for (const [i, file] of files.entries()) expect(sweep('--shard', `${i}/2`, '-o', file).status).toBe(0);
  await mergeSweepShards(
    files.map((f) => join(dir, f)),
    join(dir, 'r.arrow'),
  );

  const resumed = sweep('--devices', 'cpu,cpu', '-o', 'r.arrow', '--resume');
  expect(resumed.status, resumed.stderr).toBe(0);
  expect(readdirSync(dir).sort()).toEqual(['r.arrow', 'spec.json']);
  expect((await readResults(join(dir, 'r.arrow'))).records).toHaveLength(2);
}, 300_000);

it('a study over --devices killed after a merge, before removing the shards: --resume removes them', async () => {
  const study = ['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '--no-bound', '-o', 'st', '-q'];
  for (const i of [0, 1]) expect(runCli([...study, '--shard', `${i}/2`], dir).status).toBe(0);
  const out = join(dir, 'st', 'vanilla.random_micro.arrow');
  await mergeSweepShards(shards(out), out);
  const rows = (await readResults(out)).records.length;

  const resumed = runCli([...study, '--devices', 'cpu,cpu', '--resume'], dir);
  expect(resumed.status, resumed.stderr).toBe(0);
  expect(readdirSync(join(dir, 'st')).filter((f) => f.includes('.shard'))).toEqual([]);
  expect((await readResults(out)).records).toHaveLength(rows);
}, 300_000);
