// A sweep run in shards (`--shard i/N` into the shard files beside its output) and merged by a run
// of the whole sweep: what that run, and its plan, tell of the shard files where they cannot be
// merged as they are. The shards are run by the CLI on the micro model, as a cluster would run them.
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { readResults } from '../lib/results/index.js';
import { runSweep } from '../lib/run/sweep.js';
import { flipValue } from './helpers/arrow-damage.js';
import { runCli, scratchDirs } from './helpers/cli.js';
import { MICRO_SWEEP, writeMicroConfig } from './helpers/micro-sweep.js';

const folder = scratchDirs('shard-set-told');

/** `distprompt sweep` of the micro sweep in `dir` with `flags`, its figures left out; throws where it exits otherwise than `status`. */
function sweep(dir: string, flags: string[], status = 0): { stdout: string; stderr: string } {
  const r = runCli(['sweep', '--config', 'micro.json', '--no-figures', ...flags], dir);
  if (r.status !== status) throw new Error(`sweep ${flags.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r;
}

/** Shard `i` of 2 run into its shard file beside r.arrow (`over`: other flags, such as --overwrite). */
const runShard = (dir: string, i: number, over: string[] = []) =>
  sweep(dir, ['--shard', `${i}/2`, '-o', `r.shard${i}of2.arrow`, ...over]);

it("shards of two specs (one run again after the spec was edited): the plan refuses as the run's merge does, naming both files", () => {
  const dir = folder();
  writeMicroConfig(dir, 'micro.json');
  runShard(dir, 0);
  runShard(dir, 1, ['--max-epochs', '4']);
  const plan = runCli(['sweep', '--config', 'micro.json', '-o', 'r.arrow', '--plan'], dir);
  const run = runCli(['sweep', '--config', 'micro.json', '-o', 'r.arrow', '--no-figures'], dir);
  const refusal = 'cannot merge r.shard1of2.arrow with r.shard0of2.arrow: the sweep spec differs';
  expect(run.status).toBe(2);
  expect(run.stderr).toContain(refusal);
  // The start tells the set as this sweep's from the first shard's footer alone; the plan said the
  // run would merge it, where the run's merge reads every file and refuses.
  expect(plan.stdout).toBe('');
  expect(plan.stderr).toContain(refusal);
  expect(plan.status).toBe(2);
});

/** The micro sweep in `dir` merged into r.arrow from its 2 shards, then shard 1 run again (--overwrite) after the merge. */
function oneShardRunAgain(dir: string): void {
  writeMicroConfig(dir, 'micro.json');
  for (const i of [0, 1]) runShard(dir, i);
  sweep(dir, ['-o', 'r.arrow']);
  runShard(dir, 1, ['--overwrite']);
}

/** Which shard was run again after the merge, and the command that runs the other again, as every path tells them. */
const WHICH =
  'of the 2 shard files beside it r.shard1of2.arrow was written after it (run again since it was merged), but r.shard0of2.arrow was not';
const OTHER_AGAIN =
  "Run the other again (shard 0/2: this command's flags with --shard 0/2, --output r.shard0of2.arrow (its shard file, for the output) and --overwrite), then this command again to merge them over r.arrow";

it('one shard run again after the merge: the run names it and the others, and the command that runs each again; run so, the set is merged over the file', () => {
  const dir = folder();
  oneShardRunAgain(dir);

  const told = [
    `r.arrow already exists, and ${WHICH}`,
    OTHER_AGAIN,
    'then this command again to merge them over r.arrow; or pass --resume to keep r.arrow as it is (without the rows run again), or --overwrite to run the whole sweep here',
  ];
  const run = sweep(dir, ['-o', 'r.arrow'], 2);
  for (const part of told) expect(run.stderr).toContain(part);
  const plan = runCli(['sweep', '--config', 'micro.json', '-o', 'r.arrow', '--plan'], dir);
  expect(plan.status).toBe(2);
  for (const part of told) expect(plan.stderr).toContain(part);

  // The command told, then the same run again: the set is merged over the file.
  runShard(dir, 0, ['--overwrite']);
  expect(sweep(dir, ['-o', 'r.arrow']).stderr).toContain(
    'merging 2 shard files into r.arrow, replacing the file merged there before them',
  );
});

it('one shard run again after the merge, and the run resumed: r.arrow is kept, and the run says once which shard file is not in it and the command that merges it; run so, the set is merged over the file', () => {
  const dir = folder();
  oneShardRunAgain(dir);
  const merged = readFileSync(join(dir, 'r.arrow'));

  const resumed = sweep(dir, ['-o', 'r.arrow', '--resume']);
  const warning = `warning: r.arrow is kept as it is (--resume), without the rows of the shards run again: ${WHICH}. ${OTHER_AGAIN}`;
  expect(resumed.stderr.split(warning)).toHaveLength(2);
  expect(readFileSync(join(dir, 'r.arrow')).equals(merged)).toBe(true);

  // The command told, then the same run again: the set is merged over the file, --resume or not.
  runShard(dir, 0, ['--overwrite']);
  const again = sweep(dir, ['-o', 'r.arrow', '--resume']);
  expect(again.stderr).toContain('merging 2 shard files into r.arrow, replacing the file merged there before them');
  expect(again.stderr).not.toContain('warning');
});

/** What a resume that keeps r.arrow without the shard run again warns (oneShardRunAgain's set), in the command line's words. */
const KEPT = `r.arrow is kept as it is (--resume), without the rows of the shards run again: ${WHICH}. ${OTHER_AGAIN}`;

it('the resume that keeps r.arrow without the shard run again, run with --quiet: the warning is said on stderr all the same', () => {
  const dir = folder();
  oneShardRunAgain(dir);
  // A cluster job's usual flag hides progress and log lines, not this.
  const quiet = sweep(dir, ['-o', 'r.arrow', '--resume', '--quiet']);
  expect(quiet.stderr.split(`distprompt: warning: ${KEPT}\n`)).toHaveLength(2);
  expect(quiet.stdout).toBe('');
});

it('the resume that keeps r.arrow without the shard run again, run with --json: the warning is an event of its own on stdout, and said on stderr', () => {
  const dir = folder();
  oneShardRunAgain(dir);
  const json = sweep(dir, ['-o', 'r.arrow', '--resume', '--json']);
  const events = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; message?: string });
  expect(events.filter((e) => e.event === 'warning')).toEqual([{ event: 'warning', message: KEPT }]);
  expect(events.filter((e) => e.message?.includes('is kept as it is') && e.event !== 'warning')).toEqual([]);
  expect(json.stderr.split(`distprompt: warning: ${KEPT}\n`)).toHaveLength(2);
});

it("the resume that keeps r.arrow without the shard run again, by runSweep: a library caller's 'warning' event, with its parts, and no log line of it", async () => {
  const dir = folder();
  oneShardRunAgain(dir);
  const merged = readFileSync(join(dir, 'r.arrow'));
  const warnings: unknown[][] = [];
  const logs: string[] = [];
  const events = new EventEmitter()
    .on('warning', (...args: unknown[]) => warnings.push(args))
    .on('log', (m: string) => logs.push(m));
  const out = join(dir, 'r.arrow');
  await runSweep({ ...MICRO_SWEEP, output: out }, { resume: true, figures: false }, events);
  expect(warnings).toHaveLength(1);
  expect(warnings[0][0]).toContain(`${out} is kept as it is (`);
  expect(warnings[0][1]).toBeDefined(); // the Said from which the command line says its flags
  expect(logs.filter((m) => m.includes('is kept as it is'))).toEqual([]);
  expect(readFileSync(out).equals(merged)).toBe(true);
});

it("a shard file whose rows are damaged: the merging run, and its plan, name it as this sweep's shard with the command that runs it again; run so, the set is merged", async () => {
  const dir = folder();
  writeMicroConfig(dir, 'micro.json');
  for (const i of [0, 1]) runShard(dir, i);
  const shard = join(dir, 'r.shard1of2.arrow');
  flipValue(shard, (await readResults(shard)).records[0].klNats);

  const told = [
    "r.shard1of2.arrow: its data do not match the digest written with it (column 'klNats'): it was damaged or edited after it was written; it is shard 1/2 of this sweep",
    "restore it from a copy, or run it again (shard 1/2: this command's flags with --shard 1/2, --output r.shard1of2.arrow (its shard file, for the output) and --overwrite), then this command again to merge the 2 shard files into r.arrow",
  ];
  const run = sweep(dir, ['-o', 'r.arrow'], 2);
  for (const part of told) expect(run.stderr).toContain(part);
  expect(existsSync(join(dir, 'r.arrow'))).toBe(false);
  const plan = runCli(['sweep', '--config', 'micro.json', '-o', 'r.arrow', '--plan'], dir);
  expect(plan.status).toBe(2);
  for (const part of told) expect(plan.stderr).toContain(part);

  runShard(dir, 1, ['--overwrite']);
  expect(sweep(dir, ['-o', 'r.arrow']).stderr).toContain('merged 2 shard files into r.arrow');
});
