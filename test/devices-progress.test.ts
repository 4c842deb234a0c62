// A sweep split over device workers reports progress as one run: the workers print JSON events,
// and the parent shows the rows of all of them (it showed nothing between 'N workers' and their
// ends, for the hours a paper-scale sweep runs) with each worker's log lines under its name.
import { spawnSync } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';

import { readResults } from '../lib/results/index.js';
import { forwardWorkerEvents } from '../lib/run/device-progress.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';
import { cli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('devices-progress');

it('--devices: progress sums the workers’ rows up to the merged file’s, and their logs are named', async () => {
  const cfg = writeMicroConfig(dir, 'two.json', {
    targets: [{ kind: 'vanilla', entropyBits: [1, 2, 3, 4], method: 'temperature' }],
    methods: [{ method: 'soft' }, { method: 'hard' }],
    inits: 2,
    maxEpochs: 20,
    bound: false,
  });
  const r = spawnSync(
    process.execPath,
    [cli, 'sweep', '-c', cfg, '--devices', 'cpu,cpu', '-o', 'r.arrow', '--no-figures', '--json'],
    { cwd: dir, encoding: 'utf8', timeout: 300_000 },
  );
  expect(r.status, r.stderr).toBe(0);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; rowsDone?: number; rowsTotal?: number; message?: string });
  const rows = (await readResults(join(dir, 'r.arrow'))).records.length;
  expect(rows).toBe(16);
  const progress = events.filter((e) => e.event === 'progress');
  expect(progress.length).toBeGreaterThan(0);
  // Every event counts both shards (8 rows each): none is shown before both workers reported.
  for (const p of progress) expect(p.rowsTotal).toBe(rows);
  expect(progress.at(-1)!.rowsDone).toBe(rows);
  const logs = events.filter((e) => e.event === 'log').map((e) => e.message);
  for (const i of [0, 1])
    expect(logs).toContainEqual(expect.stringMatching(new RegExp(`^worker ${i} \\(cpu\\): 8 rows in`)));
});

it("a worker's warning event reaches the parent's events as a warning under its name, not as a log line", async () => {
  const stdout = new PassThrough();
  const said: Array<[string, string]> = [];
  const events = new EventEmitter();
  for (const kind of ['log', 'warning']) events.on(kind, (m: string) => said.push([kind, m]));
  forwardWorkerEvents([{ name: 'worker 1 (cuda:1)', stdout }], events);
  // The lines a worker run with --json prints (lib/cli/progress.ts).
  stdout.end(
    `${JSON.stringify({ event: 'log', message: 'merged 2 shard files into r.arrow' })}\n` +
      `${JSON.stringify({ event: 'warning', message: 'out of memory on cuda:1: batch size halved to 4 (x)' })}\n`,
  );
  await once(stdout, 'close');
  expect(said).toEqual([
    ['log', 'worker 1 (cuda:1): merged 2 shard files into r.arrow'],
    ['warning', 'worker 1 (cuda:1): out of memory on cuda:1: batch size halved to 4 (x)'],
  ]);
});
