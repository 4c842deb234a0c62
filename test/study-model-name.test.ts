// A local model folder spelt two ways ('./m/' and 'm') is one model to a study: the same file
// names, so a --resume spelt the other way finds the first run's files, and given twice is refused.
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { studyModelName } from '../lib/study/model-name.js';
import { runCli, scratchDir } from './helpers/cli.js';

const fixture = join(import.meta.dirname, 'fixtures', 'hf-golden', 'a_gpt2');
const dir = scratchDir('model-name');
cpSync(fixture, join(dir, 'm'), { recursive: true });
mkdirSync(join(dir, 'micro'));
mkdirSync(join(dir, 'sub'));

/** studyModelName as a run in `dir` sees it. */
function inDir<T>(f: () => T, cwd = dir): T {
  const before = process.cwd();
  process.chdir(cwd);
  try {
    return f();
  } finally {
    process.chdir(before);
  }
}

describe('studyModelName', () => {
  it('gives every spelling of a folder its path from the working folder', () => {
    const names = inDir(() =>
      ['m', './m', './m/', 'm//', 'micro/../m', join(dir, 'm'), `${join(dir, 'm')}/`].map(studyModelName),
    );
    expect(new Set(names)).toEqual(new Set(['m']));
    expect(inDir(() => ['random:./m/', 'random:m'].map(studyModelName))).toEqual(['random:m', 'random:m']);
  });

  it('names a folder outside the working folder by its absolute path', () => {
    const outside = join(dir, 'm');
    expect(studyModelName(`${outside}/`)).toBe(outside);
    expect(inDir(() => studyModelName('../m/'), join(dir, 'sub'))).toBe(outside);
  });

  it('keeps what is not a folder, and a folder that a preset would shadow', () => {
    expect(inDir(() => ['random:micro', 'gpt2', 'org/name', './no-such/'].map(studyModelName))).toEqual([
      'random:micro',
      'gpt2',
      'org/name',
      './no-such/',
    ]);
    // 'random:./micro' is the folder's twin; 'random:micro' would be the preset.
    expect(inDir(() => studyModelName('random:./micro/'))).toBe('random:./micro');
  });
});

describe('a study of a local folder', () => {
  it('resumed with the folder spelt otherwise keeps every row; given twice, it is refused', () => {
    const args = ['study', 'vanilla', '--scale', 'smoke', '--no-bound', '-o', 's', '-q'];
    const first = runCli([...args, '-m', './m/'], dir);
    expect(first.status, first.stderr).toBe(0);
    const plan = runCli([...args, '-m', 'm', '--resume', '--plan'], dir);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/total: 0 rows left \(20 kept\)/);
    const twice = runCli([...args, '-m', 'm,./m/', '--plan'], dir);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain("the model m is given twice (as 'm' and './m/'): give each model once");
  }, 120_000);
});
