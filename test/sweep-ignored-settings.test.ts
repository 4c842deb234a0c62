// `distprompt sweep` refuses a setting that no method of the sweep reads (SETTINGS_IGNORED) where
// the user gave it, typed or in the --config file; a sweep with a method that reads it runs.
import { expect, it } from 'vitest';

import { runCli, scratchDirs } from './helpers/cli.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';

const tmp = scratchDirs('ignored-settings');
const quick = ['--no-figures', '--no-bound', '-q'];

it.each([
  [['--lr', '0.5'], '--lr'],
  [['--weight-decay', '0.1'], '--weight-decay'],
  [['--init', 'gaussian'], '--init'],
  [['--soft-prompts'], '--soft-prompts'],
])('a hard-only sweep refuses %j (exit 2)', (flags, flag) => {
  const dir = tmp();
  const r = runCli(['sweep', '-c', writeMicroConfig(dir, 'hard.json'), '--methods', 'hard', ...flags, ...quick], dir);
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toContain(
    `${flag} would be ignored: no method of this sweep (hard:k=1) reads it, as a hard prompt has no soft positions; drop it, or add a soft or hybrid method`,
  );
});

it('--cuda-graph with hard and hybrid methods alone is refused: only soft methods replay CUDA graphs', () => {
  const dir = tmp();
  const r = runCli(
    ['sweep', '-m', 'random:micro', '--device', 'cuda', '--methods', 'hard,hybrid:HSSSS', '--cuda-graph', '-q'],
    dir,
  );
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toContain(
    '--cuda-graph would be ignored: no method of this sweep (hard:k=1, hybrid:HSSSS:k=1) reads it, as a sweep replays CUDA graphs for its soft methods only; drop it, or add a soft method',
  );
});

it("a --config file's settings that no method reads are refused by field; a false asks for nothing", () => {
  const dir = tmp();
  const file = writeMicroConfig(dir, 'hard.json', {
    methods: [{ method: 'hard' }],
    lr: 0.1,
    weightDecay: 0.01,
    softPrompts: false,
  });
  const r = runCli(['sweep', '-c', file, '--init', 'gaussian', ...quick], dir);
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toContain(
    `--init and lr, weightDecay in --config hard.json would be ignored: no method of this sweep (hard:k=1) reads them`,
  );
  expect(r.stderr).not.toContain('softPrompts');
});

it('a sweep with a method that reads the settings runs with them, typed or in its file', () => {
  const dir = tmp();
  const file = writeMicroConfig(dir, 'hybrid.json', { methods: [{ method: 'hybrid', pattern: 'HSSSS' }], lr: 0.2 });
  const typed = ['--weight-decay', '0.1', '--init', 'gaussian', '--soft-prompts', '--no-cuda-graph'];
  const r = runCli(['sweep', '-c', file, ...typed, ...quick], dir);
  expect(r.status, r.stderr).toBe(0);
  const mixed = runCli(['sweep', '-c', file, '--methods', 'soft,hard', '--lr', '0.3', '-o', 'm.arrow', ...quick], dir);
  expect(mixed.status, mixed.stderr).toBe(0);
});

it("a hard-only sweep's device workers run the parent's spec, its defaults written out", () => {
  const dir = tmp();
  const file = writeMicroConfig(dir, 'hard.json', { methods: [{ method: 'hard' }] });
  const r = runCli(['sweep', '-c', file, '--devices', 'cpu,cpu', ...quick], dir);
  expect(r.status, r.stderr).toBe(0);
});
