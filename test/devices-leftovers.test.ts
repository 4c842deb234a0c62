// A sweep over --devices has each worker write a shard file beside the output. What lies there
// from an earlier run (a shard's finished file or journal, or shard files of a split into another
// count) is refused by the run before any worker starts, in the words the worker would use, and by
// the plan of that run, rather than priced as a fresh run the command would not start. Shard
// files left by a merge that failed (a full disk) are merged by the next run, which then removes
// them and counts their rows as resumed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { readResults } from '../lib/results/index.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';
import { cli, runCli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('device-leftovers');
const run = (args: string[]) => runCli(args, dir);

it('shard files in the way of the device workers are refused by the run and its plan alike', async () => {
  const config = writeMicroConfig(dir, 'spec.json', { bound: false });
  const sweep = ['sweep', '-c', config, '--no-figures', '-o', 'x.arrow'];
  // Shard 0 of 2 finished on its own, shard 1 not run: no set to merge.
  expect(run(['sweep', '-c', config, '--no-figures', '--shard', '0/2', '-o', 'x.shard0of2.arrow']).status).toBe(0);

  const taken = 'x.shard0of2.arrow already exists: choose another output, pass --overwrite, or --resume to extend it';
  for (const extra of [[], ['--plan']]) {
    const r = run([...sweep, '--devices', 'cpu,cpu', ...extra]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(taken);
    expect(r.stderr).not.toContain('worker'); // told once, before any worker starts
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }
  // With --resume the plan prices shard 1's row alone.
  const plan = run([...sweep, '--devices', 'cpu,cpu', '--resume', '--plan', '--json']);
  expect(plan.status, plan.stderr).toBe(0);
  expect(JSON.parse(plan.stdout)).toMatchObject({ rows: 1, keptRows: 1 });

  // On three devices the two-way split would be neither resumed nor merged.
  const other =
    'hold rows of a run of x.arrow split 2 ways (on 2 devices, or by --shard i/2), which a run on 3 would neither resume nor merge';
  for (const extra of [[], ['--plan']]) {
    const r = run([...sweep, '--devices', 'cpu,cpu,cpu', '--resume', ...extra]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${other}: resume split 2 ways, or delete them`);
  }
  // One a live run still writes (a shard run started elsewhere) is to be waited for, not deleted.
  const running = spawn('sleep', ['600']);
  await new Promise((r) => running.once('spawn', r));
  const since = new Date(Date.now() + 5000).toISOString();
  symlinkSync(`${running.pid} ${hostname()} ${since} sweep`, join(dir, 'x.shard0of2.arrow.lock'));
  const beside = run([...sweep, '--devices', 'cpu,cpu,cpu', '--resume']);
  running.kill();
  rmSync(join(dir, 'x.shard0of2.arrow.lock'));
  expect(beside.status, beside.stderr).toBe(2);
  expect(beside.stderr).toContain(
    `${other}, and process ${running.pid} on ${hostname()} (a sweep since ${since}) is writing one: wait for that run to finish, or stop it first`,
  );
  expect(existsSync(join(dir, 'x.arrow'))).toBe(false);
  expect(existsSync(join(dir, 'x.shard0of2.arrow'))).toBe(true);
}, 300_000);

it("a study's plan over --devices refuses a shard file in its way as its worker does, naming that file", () => {
  const study = ['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '-o', 'st', '-q'];
  expect(run([...study, '--shard', '0/2']).status).toBe(0);
  const words = `${join('st', 'vanilla.random_micro.shard0of2.arrow')} exists: add --resume to keep finished sweeps`;
  for (const extra of [['--plan'], []]) {
    const r = run([...study, '--devices', 'cpu,cpu', ...extra]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(words);
    expect(r.stderr).not.toContain('vanilla.random_micro.arrow exists');
  }
}, 300_000);

it('shard files a failed merge left are merged by the resume, then removed, their rows counted as resumed', async () => {
  // A folder of its own: the tests above leave files in dir.
  const folder = join(dir, 'merge-failed');
  mkdirSync(folder);
  const config = writeMicroConfig(folder, 'spec.json', {
    targets: [
      { kind: 'vanilla', entropyBits: Array.from({ length: 16 }, (_, i) => (i + 1) / 2), method: 'temperature' },
    ],
    inits: 2,
    bound: false,
  });
  const sweep = [cli, 'sweep', '-c', config, '-o', 'r.arrow', '--devices', 'cpu,cpu', '--no-figures'];
  // Files of at most 23,552 bytes (46 blocks of 512): room for each worker's shard file of 16 rows
  // (~20 KB with its data's digest), not for the merged file of 32 (~26 KB), whose write then fails
  // as on a full disk.
  const full = spawnSync('sh', ['-c', 'ulimit -f 46 && exec "$@"', 'sh', process.execPath, ...sweep], {
    cwd: folder,
    encoding: 'utf8',
  });
  expect(full.stderr).toContain(
    'while writing r.arrow: free space, or choose an output on another disk; every row is kept in r.shard0of2.arrow, r.shard1of2.arrow: rerun with --resume to merge them',
  );
  expect(full.status).toBe(1);
  expect(readdirSync(folder).sort()).toEqual(['r.shard0of2.arrow', 'r.shard1of2.arrow', 'spec.json']);

  const resumed = runCli(sweep.slice(1).concat('--resume'), folder);
  expect(resumed.status, resumed.stderr).toBe(0);
  expect(resumed.stderr).toContain('32 rows in r.arrow (32 resumed)');
  // Only the finished file is left: the shards it holds every row of are gone.
  expect(readdirSync(folder).sort()).toEqual(['r.arrow', 'spec.json']);
  expect((await readResults(join(folder, 'r.arrow'))).records).toHaveLength(32);
}, 300_000);

it('a study on --devices resumed once its sweeps were merged reads them, running no row again nor leaving shard files; so do its shards and their plan', async () => {
  const study = ['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '--no-bound', '-o', 'merged'];
  expect(run([...study, '--devices', 'cpu,cpu', '-q']).status).toBe(0);
  const whole = join(dir, 'merged', 'vanilla.random_micro.arrow');
  const rows = (await readResults(whole)).records.length;
  // Each worker ran its shard of every sweep again beside the merged file, and left its shard file there.
  const again = run([...study, '--devices', 'cpu,cpu', '--resume']);
  expect(again.status, again.stderr).toBe(0);
  expect(again.stderr).toContain(`worker 0 (cpu): [1/1] vanilla on random:micro: finished earlier (`);
  expect(again.stderr).not.toMatch(/synthesising|starting \d+ rows/);
  expect(readdirSync(join(dir, 'merged')).filter((f) => f.includes('.shard'))).toEqual([]);
  // A shard run (a cluster task requeued after the merge) and its plan read it as a whole, too.
  const plan = run([...study, '--shard', '1/2', '--resume', '--plan', '--json']);
  expect(plan.status, plan.stderr).toBe(0);
  // The estimate is the last line, after a line for each sweep planned.
  const planned = JSON.parse(plan.stdout.trim().split('\n').at(-1)!) as { rows: number; keptRows: number };
  expect(planned).toMatchObject({ rows: 0, keptRows: rows });
  expect(run([...study, '--shard', '1/2', '--resume']).status).toBe(0);
  expect(readdirSync(join(dir, 'merged')).filter((f) => f.includes('.shard'))).toEqual([]);
  // Without --resume the finished sweep is refused, as the study run without --devices refuses it.
  const refused = run([...study, '--devices', 'cpu,cpu']);
  expect(refused.status, refused.stderr).toBe(2);
  expect(refused.stderr).toContain(`${join('merged', 'vanilla.random_micro.arrow')} exists: add --resume`);
  // by the run before its workers start, once, not by each worker
  expect(refused.stderr).not.toContain('worker');
  // An edited study (another seed) resumed by a shard: refused as the merging run's resume would
  // refuse it, before the shard runs rows that no merge would take.
  const edited = run([...study, '--seed', '7', '--shard', '1/2', '--resume']);
  expect(edited.status, edited.stderr).toBe(2);
  expect(edited.stderr).toContain(`cannot resume from ${join('merged', 'vanilla.random_micro.arrow')}: `);
  expect(edited.stderr).toContain('resume with those of the run that wrote merged');
  expect(edited.stderr).not.toMatch(/synthesising|starting \d+ rows/);
  expect(readdirSync(join(dir, 'merged')).filter((f) => f.includes('.shard'))).toEqual([]);
}, 300_000);

it("a study's sweeps run again after a merge (--overwrite on device workers or on each shard) replace the merged file; shards older than it do not", () => {
  const study = ['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '--no-bound', '-o', 'again'];
  const merged = join(dir, 'again', 'vanilla.random_micro.arrow');
  const shardsLeft = () => readdirSync(join(dir, 'again')).filter((f) => f.includes('.shard'));
  expect(run([...study, '--devices', 'cpu,cpu', '-q']).status).toBe(0);
  let before = statSync(merged).mtimeMs;
  // The workers run every row again; the run merges them over the file, not reads it as finished.
  const devices = run([...study, '--devices', 'cpu,cpu', '--overwrite']);
  expect(devices.status, devices.stderr).toBe(0);
  expect(devices.stderr).toContain('[1/1] vanilla on random:micro: merged (');
  expect(devices.stderr).not.toContain('finished earlier');
  expect(statSync(merged).mtimeMs).toBeGreaterThan(before);
  expect(shardsLeft()).toEqual([]);
  // The same on a cluster: each shard with --overwrite, then the merging run, planned first.
  for (const i of [0, 1]) expect(run([...study, '--shard', `${i}/2`, '--overwrite', '-q']).status).toBe(0);
  before = statSync(merged).mtimeMs;
  const plan = run([...study, '--plan', '--json']);
  expect(plan.status, plan.stderr).toBe(0);
  expect(JSON.parse(plan.stdout.trim().split('\n').at(-1)!)).toMatchObject({ rows: 0 });
  const cluster = run(study);
  expect(cluster.status, cluster.stderr).toBe(0);
  expect(cluster.stderr).toContain(
    `merging 2 shard files into ${join('again', 'vanilla.random_micro.arrow')}, replacing the file merged there before them`,
  );
  expect(cluster.stderr).toContain('[1/1] vanilla on random:micro: merged (');
  expect(statSync(merged).mtimeMs).toBeGreaterThan(before);
  // A cluster's merge keeps its shards, older than the file it wrote: the next run reads the file.
  expect(shardsLeft()).toHaveLength(2);
  const resumed = run([...study, '--resume']);
  expect(resumed.stderr).toContain('[1/1] vanilla on random:micro: finished earlier (');
}, 300_000);

it('a sweep whose every shard ran again after their merge merges them over the merged file; its plan prices the merge', () => {
  const folder = join(dir, 'sweep-again');
  mkdirSync(folder);
  const config = writeMicroConfig(folder, 'spec.json', { bound: false });
  const sweep = (...extra: string[]) => runCli(['sweep', '-c', config, '--no-figures', ...extra], folder);
  const shards = (...extra: string[]) =>
    [0, 1].forEach((i) => expect(sweep('--shard', `${i}/2`, '-o', `x.shard${i}of2.arrow`, ...extra).status).toBe(0));
  shards();
  expect(sweep('-o', 'x.arrow').status).toBe(0);
  const before = statSync(join(folder, 'x.arrow')).mtimeMs;
  // The cluster's shards stay beside the file merged from them, older than it: read, not merged again.
  expect(sweep('-o', 'x.arrow', '--resume').stderr).toMatch(/(\d+) rows in x\.arrow \(\1 resumed\)/);
  shards('--overwrite');
  const plan = sweep('-o', 'x.arrow', '--plan', '--json');
  expect(plan.status, plan.stderr).toBe(0);
  expect(JSON.parse(plan.stdout)).toMatchObject({ rows: 0, mergedShards: 2 });
  const merged = sweep('-o', 'x.arrow');
  expect(merged.status, merged.stderr).toBe(0);
  expect(merged.stderr).toContain('merging 2 shard files into x.arrow, replacing the file merged there before them');
  expect(statSync(join(folder, 'x.arrow')).mtimeMs).toBeGreaterThan(before);
}, 300_000);
