// A device worker that refuses its input says why in its --json error event (the message and its
// parts), and the parent's error carries that message in its own caller's words: a script reads
// `{ overwrite: true }`, the command line `--overwrite`. Before, the parent said only "its message
// is above": the reason was on the worker's stderr alone, in flags.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { Command } from 'commander';
import { expect, it } from 'vitest';

import { registerCommands } from '../lib/cli/commands.js';
import { native } from '../lib/native/index.js';
import { commandLineMessage } from '../lib/cli/flag-words.js';
import { runOnDevices } from '../lib/run/devices.js';
import { runCli, scratchDir } from './helpers/cli.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';

const dir = scratchDir('worker-error');

it("a worker's refusal reaches the parent's error, in the parent's caller's words", async () => {
  const cfg = join(dir, writeMicroConfig(dir, 'm.json'));
  const out = join(dir, 'r.arrow');
  const first = runCli(['sweep', '-c', cfg, '-o', out, '--no-figures', '-q'], dir);
  expect(first.status, first.stderr).toBe(0);

  // Another sweep (another epoch budget) onto that finished file: the worker refuses it (exit 2).
  const json = runCli(['sweep', '-c', cfg, '-o', out, '--no-figures', '--max-epochs', '6', '--json'], dir);
  expect(json.status).toBe(2);
  const event = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; exitCode?: number; message?: string; parts?: unknown[] })
    .find((e) => e.event === 'error');
  expect(event).toMatchObject({ exitCode: 2, message: expect.stringContaining('pass --overwrite, or --resume') });
  expect(event!.parts).toContainEqual({ option: 'overwrite', value: true });

  const args = () => ['sweep', '-c', cfg, '-o', out, '--no-figures', '--max-epochs', '6', '--json'];
  const e = (await runOnDevices(['cpu'], args, new EventEmitter()).catch((err: unknown) => err)) as Error;
  expect(e.name).toBe('WorkerInputError');
  expect(e.message).toBe(
    `worker 0 on cpu failed (exit 2): ${out} already exists: choose another output, pass { overwrite: true }, ` +
      'or { resume: true } to extend it',
  );
  const program = new Command();
  registerCommands(program);
  expect(commandLineMessage(program, undefined, e)).toBe(
    `worker 0 on cpu failed (exit 2): ${out} already exists: choose another output, pass --overwrite, ` +
      'or --resume to extend it',
  );
}, 120_000);

it.skipIf(native().buildInfo().cudaBuild)(
  "on the command line a worker's refusal is read once, in the parent's line",
  () => {
    // A device this build lacks: the parent starts its workers, and the second refuses it.
    const r = runCli(
      ['sweep', '-m', 'random:micro', '--devices', 'cpu,cuda:0', '-o', 'two.arrow', '--no-figures', '-q'],
      dir,
    );
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.includes('built against a CPU-only libtorch'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^distprompt: worker 1 on cuda:0 failed \(exit 2\): loading random:micro: device 'cuda:0'/,
    );
    // Worker 0 finished its shard: the corrected rerun keeps it, as the message says.
    expect(lines[0]).toMatch(/; the shards that finished are kept: correct the input and rerun with --resume$/);
    const again = runCli(
      ['sweep', '-m', 'random:micro', '--devices', 'cpu,cpu', '-o', 'two.arrow', '--no-figures', '--resume', '--json'],
      dir,
    );
    expect(again.status, again.stderr).toBe(0);
    const done = JSON.parse(again.stdout.trim().split('\n').at(-1)!) as { rows: number; rowsResumed: number };
    expect(done.rowsResumed).toBeGreaterThan(0);
    expect(done.rowsResumed).toBeLessThan(done.rows);
  },
  120_000,
);

it("the --json error event's parts are its message in pieces: a flag's bad value is named by its flag in both", () => {
  const cfg = join(dir, writeMicroConfig(dir, 'flag.json'));
  const r = runCli(['sweep', '-c', cfg, '-o', 'flag.arrow', '--max-epochs', '0', '--json'], dir);
  expect(r.status).toBe(2);
  const event = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { event: string; message: string; parts: unknown[] };
  expect(event.event).toBe('error');
  expect(event.message).toMatch(/--max-epochs: must be >= 1, got 0/);
  // No option word in this message: its parts are its text.
  expect(event.parts.join('')).toBe(event.message);
});
