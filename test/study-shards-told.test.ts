// A study split into shards (`--shard i/N`: each of its sweeps' shard files in its folder) and
// merged by the study run without one: what that run, its plan and its resume tell of the shard
// files where they cannot be merged as they are, in the study's words (its own command, not a
// sweep's flags). Run by the CLI on the micro model, as a cluster would run the shards.
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { readResults } from '../lib/results/index.js';
import { flipValue } from './helpers/arrow-damage.js';
import { runCli, scratchDirs } from './helpers/cli.js';

const folder = scratchDirs('study-shards-told');

const STUDY = ['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '--no-bound', '-o', 'st'];
const sweepFile = join('st', 'vanilla.random_micro.arrow');
const shardFile = (i: number) => join('st', `vanilla.random_micro.shard${i}of2.arrow`);

/** The study in `dir` with `flags`; throws where it exits otherwise than `status`. */
function study(dir: string, flags: string[], status = 0): { stdout: string; stderr: string } {
  const r = runCli([...STUDY, ...flags], dir);
  if (r.status !== status) throw new Error(`study ${flags.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r;
}

const runShard = (dir: string, i: number, over: string[] = []) => study(dir, ['--shard', `${i}/2`, '-q', ...over]);

it("one shard of a merged study run again: the study, and its plan, name it and the study command that runs the other again; resumed, it keeps the sweep's file and says so once; run so, the set is merged", () => {
  const dir = folder();
  for (const i of [0, 1]) runShard(dir, i);
  study(dir, ['-q']);
  runShard(dir, 1, ['--overwrite']);

  const which = `of the 2 shard files beside it ${shardFile(1)} was written after it (run again since it was merged), but ${shardFile(0)} was not`;
  const other = `Run the other again (shard 0/2: this command with --shard 0/2 and --overwrite (it runs shard 0/2 of each of the study's sweeps again)), then this command again to merge them over ${sweepFile}`;
  const told = [
    `${sweepFile} already exists, and ${which}`,
    other,
    `or pass --resume to keep ${sweepFile} as it is (without the rows run again), or --overwrite to run the study's sweeps again here`,
  ];
  const run = study(dir, [], 2);
  for (const part of told) expect(run.stderr).toContain(part);
  expect(run.stderr).not.toContain('exists: add --resume');
  const plan = study(dir, ['--plan'], 2);
  for (const part of told) expect(plan.stderr).toContain(part);

  const resumed = study(dir, ['--resume']);
  const warning = `warning: vanilla: ${sweepFile} is kept as it is (--resume), without the rows of the shards run again: ${which}. ${other}`;
  expect(resumed.stderr.split(warning)).toHaveLength(2);

  runShard(dir, 0, ['--overwrite']);
  expect(study(dir, []).stderr).toContain('[1/1] vanilla on random:micro: merged (');
}, 120_000);

it("a study's shard file whose rows are damaged: the merging study, and its plan, name it with the study command that runs it again", async () => {
  const dir = folder();
  for (const i of [0, 1]) runShard(dir, i);
  const shard = join(dir, shardFile(1));
  flipValue(shard, (await readResults(shard)).records[0].klNats);

  const told = [
    `${shardFile(1)}: its data do not match the digest written with it (column 'klNats'): it was damaged or edited after it was written; it is shard 1/2 of this sweep`,
    `restore it from a copy, or run it again (shard 1/2: this command with --shard 1/2 and --overwrite (it runs shard 1/2 of each of the study's sweeps again)), then this command again to merge the 2 shard files into ${sweepFile}`,
  ];
  const run = study(dir, [], 2);
  for (const part of told) expect(run.stderr).toContain(part);
  const plan = study(dir, ['--plan'], 2);
  for (const part of told) expect(plan.stderr).toContain(part);

  runShard(dir, 1, ['--overwrite']);
  expect(study(dir, []).stderr).toContain('[1/1] vanilla on random:micro: merged (');
}, 120_000);
