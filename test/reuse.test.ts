// Rows taken from finished results files (`sweep --reuse`, runSweep's and estimateSweep's reuse):
// separate commands share rows as a study's sweeps do. A row one of the files holds, run alike,
// is written from it field for field; a file of other settings, or against a targets file that
// changed since, gives none; a wrong file is refused before the model loads.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';

import { readResults } from '../lib/results/index.js';
import { estimateSweep } from '../lib/run/estimate.js';
import { runSweep } from '../lib/run/sweep.js';
import type { SweepSpecInput } from '../lib/spec/index.js';
import { runCli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('reuse');
const run = (args: string[]) => runCli(args, dir);

/** The flags both sweeps share: what a row runs with. */
const common = ['-m', 'random:micro', '--targets', 'vanilla', '--inits', '2', '--max-epochs', '20', '--no-figures'];
const earlier = join(dir, 'vanilla.arrow');

beforeAll(() => {
  const r = run(['sweep', ...common, '--entropy', '0,2,4', '--methods', 'soft', '-o', earlier]);
  expect(r.status, r.stderr).toBe(0);
}, 300_000);

it('a later command writes the rows an earlier one finished alike, field for field, and runs the rest; its plan prices only those', async () => {
  const later = ['sweep', ...common, '--entropy', '0,2,4,6', '--methods', 'soft,hard:k=1', '--reuse', earlier];
  const plan = run([...later, '-o', join(dir, 'methods.arrow'), '--plan', '--json']);
  expect(plan.status, plan.stderr).toBe(0);
  const e = JSON.parse(plan.stdout);
  // 4 targets × 2 inits × 2 methods, of which the first 3 targets' soft rows are the earlier file's.
  expect([e.rows, e.sharedRows]).toEqual([10, 6]);
  const text = run([...later, '-o', join(dir, 'methods.arrow'), '--plan']);
  expect(text.stdout).toContain('10 rows (and 6 taken from an earlier sweep)');

  const r = run([...later, '-o', join(dir, 'methods.arrow')]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toContain(`reuse ${earlier}: 6 finished rows of random:micro offered`);
  expect(r.stderr).toContain(`16 rows in ${join(dir, 'methods.arrow')} (0 resumed, 6 taken from earlier sweeps)`);
  const [a, b] = await Promise.all([readResults(earlier), readResults(join(dir, 'methods.arrow'))]);
  const taken = new Map(b.records.map((x) => [x.rowId, x]));
  for (const row of a.records) expect(taken.get(row.rowId)).toEqual(row);
  expect(b.records).toHaveLength(16);
  expect(b.records.filter((x) => x.method === 'soft' && x.targetEntropyBits > 5)).toHaveLength(2);

  // Split over two device workers: each reads the files, and the summary counts what they took.
  const split = run([...later, '-o', join(dir, 'split.arrow'), '--devices', 'cpu,cpu', '--json']);
  expect(split.status, split.stderr).toBe(0);
  const done = JSON.parse(split.stdout.trim().split('\n').pop()!);
  expect([done.rows, done.rowsShared]).toEqual([16, 6]);
  const c = await readResults(join(dir, 'split.arrow'));
  const cRows = new Map(c.records.map((x) => [x.rowId, x]));
  for (const row of a.records) expect({ ...cRows.get(row.rowId), shardIndex: 0 }).toEqual(row);
});

it('a file of other settings gives no row; nor does one whose targets file changed since it ran', async () => {
  const spec = (o: Partial<SweepSpecInput>): SweepSpecInput => ({
    model: 'random:micro',
    targets: [{ kind: 'vanilla', entropyBits: [0, 2, 4] }],
    methods: [{ method: 'soft' }],
    inits: 2,
    maxEpochs: 20,
    ...o,
  });
  const { EventEmitter } = await import('node:events');
  const lrLogs: string[] = [];
  const otherLr = await runSweep(
    spec({ output: join(dir, 'lr.arrow'), lr: 0.05 }),
    { reuse: [earlier], figures: false },
    new EventEmitter().on('log', (l: string) => lrLogs.push(l)),
  );
  expect([otherLr.rowsShared, otherLr.rowsRun]).toEqual([0, 6]);
  // It says why, naming what differs, so that a user who expected rows copied knows what to change.
  const why = `reuse ${earlier}: no row taken: its rows ran with other settings (lr 0.1 there, 0.05 here)`;
  expect(lrLogs).toContain(why);
  // Its plan says the same, where one looks before a run: the file's lines, and the estimate's reuseNotes.
  const plan = await estimateSweep(spec({ output: join(dir, 'lr-plan.arrow'), lr: 0.05 }), {
    reuse: [earlier],
    calibrationSeconds: 0.3,
    sampleRows: 2,
  });
  expect([plan.sharedRows, plan.rows]).toEqual([0, 6]);
  expect(plan.reuseNotes).toEqual([`reuse ${earlier}: 6 finished rows of random:micro offered`, why]);
  const cliPlan = ['--entropy', '0,2,4', '--methods', 'soft', '--lr', '0.05', '--reuse', earlier, '--plan'];
  const text = run(['sweep', ...common, ...cliPlan, '-o', join(dir, 'lr-plan.arrow')]);
  expect(text.status, text.stderr).toBe(0);
  expect(text.stdout).toContain(`${why}\n`);

  const file = join(dir, 'targets.json');
  const targets = (p: number) =>
    JSON.stringify([Array.from({ length: 1000 }, (_, i) => (i === 0 ? p : (1 - p) / 999))]);
  writeFileSync(file, targets(0.5));
  const fromFile = spec({ targets: [{ kind: 'file', path: file }], output: join(dir, 'file-a.arrow') });
  await runSweep(fromFile, { figures: false });
  const same = await runSweep(
    { ...fromFile, output: join(dir, 'file-b.arrow') },
    {
      reuse: [join(dir, 'file-a.arrow')],
      figures: false,
    },
  );
  expect([same.rowsShared, same.rowsRun]).toEqual([2, 0]);
  writeFileSync(file, targets(0.9));
  const logs: string[] = [];
  const changed = await runSweep(
    { ...fromFile, output: join(dir, 'file-c.arrow') },
    { reuse: [join(dir, 'file-a.arrow')], figures: false },
    new EventEmitter().on('log', (l: string) => logs.push(l)),
  );
  expect([changed.rowsShared, changed.rowsRun]).toEqual([0, 2]);
  // The sweep read the file as it is now, not as this process first read it.
  const before = (await readResults(join(dir, 'file-a.arrow'))).records[0].targetEntropyBits;
  expect(changed.records[0].targetEntropyBits).toBeLessThan(before - 1);
  expect(logs).toContain(`reuse ${join(dir, 'file-a.arrow')}: not used, its targets file ${file} changed since it ran`);
});

it('a wrong file or option is refused, naming it, before the model loads; nothing is written', async () => {
  const out = join(dir, 'refused.arrow');
  writeFileSync(join(dir, 'not-results.json'), '[]');
  for (const [given, message] of [
    [join(dir, 'missing.arrow'), /cannot read results file .*missing\.arrow: it does not exist/],
    [join(dir, 'not-results.json'), /not-results\.json is not a results file/],
  ] as const) {
    const r = run(['sweep', ...common, '--entropy', '2', '--reuse', given, '-o', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/loading|synthesising|\n\s+at /);
    const p = run(['sweep', ...common, '--entropy', '2', '--reuse', given, '-o', out, '--plan']);
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(message);
  }
  expect(spawnSync('ls', [dir], { encoding: 'utf8' }).stdout).not.toContain('refused');
  await expect(runSweep({ output: out }, { reuse: earlier as never })).rejects.toThrow(
    /runSweep: option reuse must be a list of finished results files \(\.arrow paths\), got ".*vanilla\.arrow"/,
  );
  await expect(estimateSweep({ output: out }, { reuse: [''] })).rejects.toThrow(
    /estimateSweep: option reuse must be a list/,
  );
});
