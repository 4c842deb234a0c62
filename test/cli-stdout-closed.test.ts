// A closed stdout (`sweep --json | head -1`, or a device worker whose parent died) stops a run as
// Ctrl-C does: exit 130, a line on stderr, finished rows kept, no stack trace; before, the write's
// EPIPE ended the process mid-run with one.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';

import { readResults } from '../lib/results/index.js';
import { cli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('stdout');

it('sweep --json whose reader goes away after some rows stops, keeps them, and exits 130', async () => {
  const out = join(dir, 'r.arrow');
  // Rows stop at different epochs (patience), so some finish long before the budget's end.
  const args = ['sweep', '-m', 'random:micro', '--targets', 'vanilla', '--entropy', '0:9:0.5', '--inits', '4'];
  args.push('--max-epochs', '100000', '--patience', '50', '--batch-size', '8', '-o', out, '--no-figures');
  const child = spawn(process.execPath, [cli, ...args, '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // The reader leaves once a row has finished, as `head` would after its lines.
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const e = JSON.parse(line) as { event: string; rowsDone?: number };
    if (e.event === 'progress' && (e.rowsDone ?? 0) > 0) {
      lines.close();
      child.stdout.destroy();
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  expect(code, stderr).toBe(130);
  expect(stderr).toContain(
    'stdout closed (its reader went away); finishing the current step and keeping every finished row',
  );
  expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
  expect(existsSync(out)).toBe(false);
  // The rows it finished are there for --resume, which finishes the sweep.
  expect(existsSync(`${out}.partial`)).toBe(true);
  const resumed = spawn(process.execPath, [cli, ...args, '--resume'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  resumed.stderr.on('data', (d: Buffer) => (log += d.toString()));
  expect(await new Promise((resolve) => resumed.on('close', resolve)), log).toBe(0);
  expect(log).toMatch(/resuming: [1-9]\d* of 76 rows already done/);
  expect((await readResults(out)).records).toHaveLength(19 * 4);
}, 300_000);
