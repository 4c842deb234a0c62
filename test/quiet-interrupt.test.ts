// `-q` drops progress, not the news that a run stopped and how to go on: a quiet sweep or study
// stopped by Ctrl-C says on stderr what a run without -q says.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { scanJournal } from '../lib/results/index.js';
import { cli, scratchDirs } from './helpers/cli.js';

const tmp = scratchDirs('quiet-interrupt');

/** Slow enough rows (one at a time, hundreds of epochs) that a SIGINT lands while they run. */
const slow = {
  targets: [{ kind: 'vanilla', entropyBits: [0, 2, 5, 8], method: 'temperature' }],
  methods: [{ method: 'soft' }],
  inits: 3,
  maxEpochs: 400,
  patience: 400,
  batchSize: 1,
  bound: false,
};

/** `distprompt ...args` in `dir`, sent SIGINT once `journal` holds a finished row: its exit code and stderr. */
async function interruptAfterARow(args: string[], dir: string, journal: string) {
  const child = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const poll = setInterval(() => {
    if (existsSync(journal) && scanJournal(readFileSync(journal)).batches >= 1) {
      clearInterval(poll);
      child.kill('SIGINT');
    }
  }, 20);
  const code = await new Promise((r) => child.on('exit', r));
  clearInterval(poll);
  return { code, err };
}

it('sweep -q stopped by SIGINT says it stops, which rows it kept and --resume, on stderr', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({ model: 'random:micro', ...slow }));
  const args = ['sweep', '-c', 'spec.json', '--no-figures', '-q'];
  const { code, err } = await interruptAfterARow(args, dir, join(dir, 'results.arrow.partial'));
  expect(code, err).toBe(130);
  expect(err).toContain('distprompt: interrupted: finishing the current step and keeping every finished row\n');
  expect(err).toMatch(
    /distprompt: interrupted after \d+ new rows; they are kept in results.arrow.partial — rerun with --resume\n/,
  );
});

it('study -q stopped by SIGINT says it stops and --resume, on stderr', async () => {
  const dir = tmp();
  mkdirSync(join(dir, 'studies'));
  const study = { describes: 'a slow sweep to interrupt', figures: [], optimiser: 'AdamW', paper: slow, smoke: slow };
  writeFileSync(join(dir, 'studies', 'slow.json'), JSON.stringify(study));
  const args = ['study', 'slow', '--studies', 'studies', '-m', 'random:micro', '--scale', 'smoke', '-o', 'out', '-q'];
  const { code, err } = await interruptAfterARow(args, dir, join(dir, 'out', 'slow.random_micro.arrow.partial'));
  expect(code, err).toBe(130);
  expect(err).toContain('distprompt: interrupted: finishing the current step and keeping every finished row\n');
  expect(err).toContain('distprompt: interrupted; finished rows and sweeps are kept — rerun with --resume\n');
});
