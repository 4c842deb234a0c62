// A device worker killed from outside (the kernel's out-of-memory killer, a scheduler): it writes
// no message of its own, so the sweep says what ended it; the other device's shard is kept and
// --resume completes the sweep.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { readResults } from '../lib/results/index.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';
import { cli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('killed');

it('a worker killed by SIGKILL: exit 1 naming the signal, the other shard kept, --resume finishes', async () => {
  // Enough rows, one at a time, that the workers are still running when one is killed.
  const cfg = writeMicroConfig(dir, 'long.json', {
    targets: [{ kind: 'vanilla', entropyBits: [1, 2, 3, 4, 5, 6], method: 'temperature' }],
    inits: 4,
    maxEpochs: 400,
    patience: 400,
    batchSize: 1,
  });
  const args = ['sweep', '-c', cfg, '--devices', 'cpu,cpu', '-o', 'r.arrow', '--no-figures'];
  const parent = spawn(process.execPath, [cli, ...args], { cwd: dir });
  let stderr = '';
  let killed = false;
  parent.stderr.on('data', (d: Buffer) => {
    stderr += d;
    if (!killed && stderr.includes('2 workers, one per device')) {
      killed = true;
      // worker 0 (started by now, before it can finish); -f matches its command line
      setTimeout(() => spawnSync('pkill', ['-KILL', '-P', String(parent.pid), '-f', 'shard 0/2']), 1000);
    }
  });
  const code = await new Promise<number | null>((done) => parent.on('exit', done));
  expect(killed, stderr).toBe(true);
  expect(code, stderr).toBe(1);
  expect(stderr).toMatch(/worker 0 on cpu failed \(killed by SIGKILL, often the system out of memory/);
  expect(stderr).toMatch(/the other shards are kept: rerun with --resume/);
  expect(existsSync(join(dir, 'r.shard1of2.arrow')), readdirSync(dir).join(' ')).toBe(true);
  expect(existsSync(join(dir, 'r.arrow'))).toBe(false);

  const resumed = spawnSync(process.execPath, [cli, ...args, '--resume'], { cwd: dir, encoding: 'utf8' });
  expect(resumed.status, resumed.stderr).toBe(0);
  // Worker 1's finished shard (12 rows) and what worker 0 journaled count as resumed.
  const summary = /24 rows in r\.arrow \((\d+) resumed\)/.exec(resumed.stderr);
  expect(summary, resumed.stderr).not.toBeNull();
  expect(Number(summary![1])).toBeGreaterThanOrEqual(12);
  expect(Number(summary![1])).toBeLessThan(24);
  const { records } = await readResults(join(dir, 'r.arrow'));
  expect(records).toHaveLength(6 * 4);
  expect(readdirSync(dir).sort()).toEqual(['long.json', 'r.arrow']);
}, 600_000);
