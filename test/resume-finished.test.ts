// `--resume` of a sweep whose output has finished hands its rows back without running any. Where
// the sweep reads a targets file that changed since the file was written, those rows hold the old
// targets; where the file holds another shard, they are other rows, or half the sweep's. Either
// resume is refused, as a journal's is, naming what differs, and the plan says the same.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { MICRO_SWEEP, writeMicroConfig } from './helpers/micro-sweep.js';
import { runCli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('resume-targets');
const run = (args: string[]) => runCli(args, dir);

it('a finished file of a targets file changed since is refused by the resume and its plan, and kept', () => {
  const made = run(['targets', '-m', 'random:micro', '--kind', 'vanilla', '--entropy', '1,2', '-o', 't.json']);
  expect(made.status, made.stderr).toBe(0);
  const spec = { ...MICRO_SWEEP, bound: false, targets: [{ kind: 'file', path: 't.json' }] };
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  const sweep = ['sweep', '-c', 'spec.json', '--no-figures', '-o', 'r.arrow'];
  expect(run(sweep).status).toBe(0);
  const before = readFileSync(join(dir, 'r.arrow'));
  const original = readFileSync(join(dir, 't.json'), 'utf8');

  // The same rows, two tokens of the first swapped: still a distribution, another target.
  const file = JSON.parse(original) as { targets: number[][] };
  const row = file.targets[0];
  const top = row.indexOf(Math.max(...row));
  [row[top], row[top + 1]] = [row[top + 1], row[top]];
  writeFileSync(join(dir, 't.json'), JSON.stringify(file));

  const words = 'cannot resume from r.arrow: the targets file t.json had other contents when r.arrow was run';
  const resumed = run([...sweep, '--resume']);
  expect(resumed.status).toBe(2);
  expect(resumed.stderr).toContain(words);
  expect(resumed.stderr).not.toMatch(/\n\s+at /);
  const plan = run([...sweep, '--resume', '--plan']);
  expect(plan.status).toBe(2);
  expect(plan.stderr).toContain(words);
  expect(readFileSync(join(dir, 'r.arrow'))).toEqual(before);

  // The file as that run read it: the finished rows are its rows again.
  writeFileSync(join(dir, 't.json'), original);
  const again = run([...sweep, '--resume']);
  expect(again.status, again.stderr).toBe(0);
  expect(again.stderr).toContain('2 rows in r.arrow (2 resumed)');
}, 300_000);

it('a finished shard file resumed as another shard, or as the whole sweep, is refused by the run and its plan', () => {
  const spec = writeMicroConfig(dir, 'shard.json', { bound: false, inits: 2 });
  const sweep = ['sweep', '-c', spec, '--no-figures', '-o', 's.arrow'];
  expect(run([...sweep, '--shard', '0/2']).status).toBe(0);
  const before = readFileSync(join(dir, 's.arrow'));
  for (const [shard, words] of [
    [['--shard', '1/2'], 'cannot resume from s.arrow: it holds shard 0/2, this run is shard 1/2'],
    [[], 'cannot resume from s.arrow: it holds shard 0/2, this run is the whole sweep (no shard)'],
  ] as const)
    for (const plan of [[], ['--plan']]) {
      const r = run([...sweep, ...shard, '--resume', ...plan]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(words);
    }
  expect(readFileSync(join(dir, 's.arrow'))).toEqual(before);
  const same = run([...sweep, '--shard', '0/2', '--resume']);
  expect(same.status, same.stderr).toBe(0);
  expect(same.stderr).toContain('2 rows in s.arrow (2 resumed)');
}, 300_000);
