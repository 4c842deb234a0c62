// `distprompt tune` prints its rows in plan order. Stopped by Ctrl-C, it prints what its rows
// reached (a row cut short with its best so far, stop reason 'aborted') and says how many
// finished, then exits 130: the rows are not lost with the process.
import { spawn, spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { cli } from './helpers/cli.js';

it('SIGINT prints the rows so far, says how many finished, and exits 130', async () => {
  // Two targets that finish at once (0 bits: reached at the first epoch) beside ones that run on.
  const args = ['tune', '-m', 'random:micro', '--entropy', '0,3,6', '--inits', '2', '--max-epochs', '100000'];
  const child = spawn(process.execPath, [cli, ...args, '--patience', '100000', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  // Interrupt once the run is under way (the model loaded and the targets made: about a second).
  setTimeout(() => child.kill('SIGINT'), 8000);
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  expect(code, err).toBe(130);
  const rows = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { targetId: string; stopReason: string; klNats: number });
  expect(rows).toHaveLength(6);
  expect(rows.filter((r) => r.stopReason === 'aborted').length).toBeGreaterThan(0);
  expect(rows.every((r) => Number.isFinite(r.klNats))).toBe(true);
  const finished = rows.filter((r) => r.stopReason !== 'aborted').length;
  expect(err).toContain(`interrupted: ${finished} rows finished, ${6 - finished} cut short`);
}, 60_000);

it('prints the rows in plan order (target, then init), not in the order they stopped', () => {
  // With patience 5 the rows stop between epochs 86 and 112 (on one CPU), in another order than asked.
  const args = ['tune', '-m', 'random:micro', '--entropy', '3,0,6', '--inits', '2', '--max-epochs', '300'];
  const r = spawnSync(process.execPath, [cli, ...args, '--patience', '5', '--json'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { targetIndex: number; initId: number });
  expect(rows.map((row) => [row.targetIndex, row.initId])).toEqual([0, 1, 2].flatMap((t) => [0, 1].map((i) => [t, i])));
}, 60_000);
