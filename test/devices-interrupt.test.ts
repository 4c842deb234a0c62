// Ctrl-C in a sweep split over --devices: each worker keeps its finished rows in its shard
// journal, and the parent says how many there are in all (or that none were kept), which the
// --resume then takes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { readJournal, readResults, scanJournal } from '../lib/results/index.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';
import { cli, interruptWhen, scratchDir } from './helpers/cli.js';

const dir = scratchDir('devices-interrupt');

/** Starts the sweep, sends SIGINT once `when(stderr)` holds, and resolves to its exit code and stderr. */
async function interrupted(args: string[], when: (stderr: string) => boolean): Promise<{ code: unknown; err: string }> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let sent = false; // once: a second Ctrl-C ends the process at once
  const poll = setInterval(() => {
    if (!sent && when(err)) sent = child.kill('SIGINT');
  }, 20);
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((r) => child.on('close', r));
  clearInterval(poll);
  return { code, err };
}

const journals = (out: string) => [0, 1].map((i) => join(dir, `${out}.shard${i}of2.arrow.partial`));

it('interrupted after rows finished: the count the workers kept, and --resume takes them', async () => {
  const config = writeMicroConfig(dir, 'slow.json', {
    bound: false,
    targets: [{ kind: 'vanilla', entropyBits: '0:max:0.5', method: 'temperature' }],
    inits: 4,
    maxEpochs: 200,
    patience: 200,
    batchSize: 2,
  });
  const sweep = ['sweep', '-c', config, '--devices', 'cpu,cpu', '-o', 'x.arrow', '--no-figures'];
  const { code, err } = await interrupted(sweep, () =>
    journals('x').some((j) => existsSync(j) && scanJournal(readFileSync(j)).batches >= 1),
  );
  expect(code, err).toBe(130);
  const said =
    /interrupted; the workers kept (\d+) finished rows in the shard files beside \S*x\.arrow — rerun with --resume/.exec(
      err,
    );
  expect(said, err).not.toBeNull();
  let kept = 0;
  for (const j of journals('x')) if (existsSync(j)) kept += (await readJournal(j))!.records.length;
  expect(Number(said![1])).toBe(kept);
  expect(kept).toBeGreaterThan(0);

  // The resume starts from exactly those rows (interrupted again at once: only its count matters).
  const plan = spawnSync(process.execPath, [cli, ...sweep, '--resume', '--plan', '--json'], {
    cwd: dir,
    encoding: 'utf8',
  });
  expect(plan.status, plan.stderr).toBe(0);
  expect(JSON.parse(plan.stdout).keptRows).toBe(kept);
}, 300_000);

it('interrupted before any row finished: nothing kept, and the plain rerun is not refused', async () => {
  const config = writeMicroConfig(dir, 'spec.json', { bound: false });
  const sweep = ['sweep', '-c', config, '--devices', 'cpu,cpu', '-o', 'y.arrow', '--no-figures'];
  const { code, err } = await interrupted(sweep, (e) => /2 workers, one per device/.test(e));
  expect(code, err).toBe(130);
  expect(err).toMatch(/interrupted before the first row finished; nothing was kept — rerun the same command/);
  for (const j of journals('y')) expect(existsSync(j)).toBe(false);
  const again = spawnSync(process.execPath, [cli, ...sweep, '-q'], { cwd: dir, encoding: 'utf8' });
  expect(again.status, again.stderr).toBe(0);
}, 300_000);

it('interrupted once every worker has finished: the shards are merged all the same (exit 0)', async () => {
  const config = writeMicroConfig(dir, 'quick.json', { bound: false, maxEpochs: 20, patience: 20 });
  const said = 'every row is done: merging the device shards into m.arrow';
  const { code, signal, err, sent } = await interruptWhen(
    ['sweep', '-c', config, '--devices', 'cpu,cpu', '-o', 'm.arrow', '--no-figures'],
    dir,
    said,
  );
  expect({ sent, code, signal }, err).toEqual({ sent: true, code: 0, signal: null });
  expect(err).toContain(
    'interrupted: every row was done, so m.arrow is finished all the same; nothing is left to resume',
  );
  expect(err).not.toContain('finishing the current step');
  expect((await readResults(join(dir, 'm.arrow'))).records.length).toBeGreaterThan(0);
  expect(existsSync(join(dir, 'm.shard0of2.arrow'))).toBe(false);
});
