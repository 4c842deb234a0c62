// An output name too long once distprompt's suffixes (.partial, .lock, .tmp-<pid>-<ms>) are added
// is refused before any work naming the output and the longest name allowed (a sweep failed on
// '<out>.lock: ENAMETOOLONG: check the path and the disk', targets with Node's raw stat error);
// the longest allowed name is written.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect, test } from 'vitest';

import { NAME_MAX_BYTES } from '../lib/io/output-name.js';
import { PRESETS } from '../lib/model/presets.js';
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

test("-o <an existing folder>/: exit 2 asking for a file in it, not suggesting the folder's own name", () => {
  mkdirSync(join(dir, 'outs'), { recursive: true });
  const r = run('targets', '-m', 'random:micro', '--entropy', '1', '-o', 'outs/');
  expect(r.stderr).toContain(
    "the output outs/ ends in '/', as a folder does: give the name of a file in that folder (outs/<file>)",
  );
  expect(r.status).toBe(2);
});

// A sweep split in N shards (--devices) writes each beside its output as '<name>.shard<i>of<N>.arrow':
// an output name that fits bare made those too long, which the shards' workers found only once
// they had loaded the model. The shard names are kept (a merge finds them by them); the output's
// limit for that many shards is told instead, before any worker starts.
test('sweep --devices: an output name whose shard files would be too long is refused naming the limit for that many shards', () => {
  const config = writeMicroConfig(dir, 'd.json', { bound: false });
  const before = readdirSync(dir);
  const withShards = LONGEST - '.shard1of2'.length;
  for (const plan of [[], ['--plan']]) {
    const r = run(
      'sweep',
      '-c',
      config,
      '--no-figures',
      '--devices',
      'cpu,cpu',
      '-o',
      named(LONGEST, '.arrow'),
      ...plan,
    );
    expect(r.stderr).toMatch(
      new RegExp(
        `the output name a+\\.arrow is ${LONGEST} bytes, and its shard files' names are longer \\(a+\\.shard1of2\\.arrow\\): give one of at most ${withShards} for a run in 2 shards`,
      ),
    );
    expect(r.stderr).not.toContain('worker');
    expect(r.status).toBe(2);
  }
  expect(readdirSync(dir).filter((n) => !before.includes(n))).toEqual([]);
  // The longest it names is run, its shards merged and removed.
  const r = run('sweep', '-c', config, '--no-figures', '--devices', 'cpu,cpu', '-o', named(withShards, '.arrow'), '-q');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(readdirSync(dir).filter((n) => !before.includes(n))).toEqual([named(withShards, '.arrow')]);
}, 300_000);

// A study names its files '<experiment>.<model>.arrow': a model given by a long path made a later
// experiment's name (prefix-length-L01's) too long, and the study stopped there after running the
// first. Every name, its shard files' too, is checked before any sweep runs.
test('study: a model name that makes any sweep file (or its shard files) too long is refused before the first sweep', () => {
  const model = join(dir, 'm'.repeat(201));
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'config.json'), JSON.stringify(PRESETS.micro.hfConfig));
  const study = ['study', 'vanilla,prefix-length', '-m', `random:${basename(model)}`, '--scale', 'smoke', '--no-bound'];
  const cases: Array<[string[], RegExp]> = [
    [
      [],
      /the study's file for prefix-length-L01 on random:m+, prefix-length-L01\.random_m+\.arrow, is 232 bytes, and at most 229 fit/,
    ],
    [
      ['--shard', '0/2'],
      /the study's file for vanilla on random:m+, vanilla\.random_m+\.arrow, is 222 bytes, and at most 219 fit in a run of 2 shards/,
    ],
    [
      ['--devices', 'cpu,cpu'],
      /the study's file for vanilla on random:m+, vanilla\.random_m+\.arrow, is 222 bytes, and at most 219 fit in a run of 2 shards/,
    ],
  ];
  for (const [extra, message] of cases)
    for (const plan of [[], ['--plan']]) {
      const r = run(...study, '-o', 'st', ...extra, ...plan);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('give the model by a name 3 bytes shorter');
      expect(r.status).toBe(2);
      expect(existsSync(join(dir, 'st'))).toBe(false);
    }
}, 300_000);
