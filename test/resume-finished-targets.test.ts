// `--resume` of a sweep whose output has finished hands its rows back without running any. Where
// the sweep reads a targets file that changed since the file was written, those rows hold the old
// targets: the resume is refused, as a journal's is, naming the file, and the plan says the same.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

import { MICRO_SWEEP } from './helpers/micro-sweep.js';

const cli = join(import.meta.dirname, '..', 'dist', 'lib', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'distprompt-resume-targets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000 });

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
