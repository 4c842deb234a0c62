// An output name too long once distprompt's suffixes (.partial, .lock, .tmp-<pid>-<ms>) are added
// is refused before any work naming the output and the longest name allowed (a sweep failed on
// '<out>.lock: ENAMETOOLONG: check the path and the disk', targets with Node's raw stat error);
// the longest allowed name is written.
import { readdirSync } from 'node:fs';
import { expect, test } from 'vitest';

import { NAME_MAX_BYTES } from '../lib/io/output-name.js';
import { runCli, scratchDir } from './helpers/cli.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';

const dir = scratchDir('output-name');
const run = (...args: string[]) => runCli(args, dir);
const LONGEST = 229; // NAME_MAX_BYTES less `.tmp-<7-digit pid>-<13-digit ms>`
const named = (bytes: number, ext: string) => 'a'.repeat(bytes - ext.length) + ext;

test.each([
  ['sweep', (o: string) => ['sweep', '-c', writeMicroConfig(dir, 's.json'), '-o', o, '--no-figures'], '.arrow'],
  ['targets', (o: string) => ['targets', '-m', 'random:micro', '--entropy', '1', '-o', o], '.json'],
])('%s -o <a name one byte too long>: exit 2 before any work, naming the limit', (_, args, ext) => {
  const before = readdirSync(dir);
  const r = run(...args(named(LONGEST + 1, ext)));
  expect(r.stderr).toMatch(
    new RegExp(`the output name a+\\${ext} is ${LONGEST + 1} bytes: give one of at most ${LONGEST}`),
  );
  expect(r.status).toBe(2);
  expect(readdirSync(dir).filter((n) => !before.includes(n) && n !== 's.json')).toEqual([]);
});

test('the longest name allowed is written', () => {
  expect(NAME_MAX_BYTES).toBe(255);
  const r = run('targets', '-m', 'random:micro', '--entropy', '1', '-o', named(LONGEST, '.json'));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(readdirSync(dir)).toContain(named(LONGEST, '.json'));
});

test('a figures folder name too long for the file system is said so, not "check the path and the disk"', () => {
  expect(run('sweep', '-c', writeMicroConfig(dir, 's.json'), '-o', 'done.arrow', '--no-figures', '-q').status).toBe(0);
  const r = run('plot', 'done.arrow', '-o', 'b'.repeat(NAME_MAX_BYTES + 1));
  expect(r.stderr).toMatch(/b+: a name in the path is too long for the file system: give a shorter one/);
  expect(r.status).toBe(2);
});

test.each([
  ['sweep', ['sweep', '-c', 's.json', '-o', 'r.arrow/', '--no-figures']],
  ['targets', ['targets', '-m', 'random:micro', '--entropy', '1', '-o', 't.json/']],
])("%s -o <a name ending in '/'>: exit 2 naming the file name meant, not '<out>/.lock'", (_, args) => {
  writeMicroConfig(dir, 's.json');
  const r = run(...args);
  expect(r.stderr).toMatch(
    /the output (r\.arrow|t\.json)\/ ends in '\/', as a folder does: give a file name, e\.g\. (r\.arrow|t\.json)$/m,
  );
  expect(r.stderr).not.toMatch(/\/\.lock/);
  expect(r.status).toBe(2);
});
