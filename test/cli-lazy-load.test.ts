// Every CLI process pays for the modules it loads: help, the version and a usage error (the
// commonest runs, a test suite's hundreds) load the flags alone, not the run's library and
// apache-arrow behind it. Checked by a module loader hook (node --import) under which loading
// apache-arrow fails: these commands must answer as ever all the same. Help, the version and an
// error of the command line's parse load no validator either (zod): the help's defaults are read
// from lib/spec/defaults.ts and lib/bound/defaults.ts, and a command's values are validated once
// its action runs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect, it } from 'vitest';

import { runCli, scratchDir, withLoaderHooks } from './helpers/cli.js';

const dir = scratchDir('lazy-load');

/** Node flags under which loading any of `packages` fails, saying '<package> was loaded'. */
const refusing = (...packages: string[]) =>
  withLoaderHooks(`
  export async function load(url, context, next) {
    for (const name of ${JSON.stringify(packages)})
      if (url.includes('/node_modules/' + name + '/')) throw new Error(name + ' was loaded');
    return next(url, context);
  }`);
const withoutArrow = refusing('apache-arrow');
const withoutArrowOrZod = refusing('apache-arrow', 'zod');

it.each([
  [['--help'], 0, /Exit codes:/],
  [['--version'], 0, /^\d+\.\d+\.\d+/],
  [['sweep', '--help'], 0, /--max-epochs <n>/],
  [['sweep', '--inits', 'x'], 2, /--inits: expected a positive integer, got 'x'/],
  [['study'], 2, /name a study/],
  [['tune', '--search', 'nope'], 2, /search/],
  [['bound', '--point'], 2, /--point prints with --json only/],
  [['nonsense'], 2, /unknown command 'nonsense'/],
] as const)('%j answers without loading apache-arrow', (args, status, said) => {
  const r = runCli(args, dir, { node: withoutArrow });
  expect(r.status, r.stderr).toBe(status);
  expect(r.stdout + r.stderr).toMatch(said);
  expect(r.stderr).not.toMatch(/apache-arrow was loaded/);
});

it.each([
  [['--help'], 0, /Exit codes:/],
  [['--version'], 0, /^\d+\.\d+\.\d+/],
  [['sweep', '--help'], 0, /epoch budget per row \(default: 500; 300 in the run/],
  [['study', '--help'], 0, /else float32\)/],
  [['tune', '--help'], 0, /--max-epochs <n> +epoch budget \(default: 500\)/],
  [['targets', '--help'], 0, /--seed <n> +seed \(default: 0\)/],
  [['bound', '--help'], 0, /--tol <nats> .*\(default: 1e-5\)/s],
  [['sweep', '--bogus'], 2, /unknown option '--bogus'/],
  [['sweep', '--inits'], 2, /option '--inits <n>' argument missing/],
  [['tune', '--seed', 'x'], 2, /--seed must be an integer >= 0, got 'x'/],
  [['nonsense'], 2, /unknown command 'nonsense'/],
] as const)('%j answers without loading zod', (args, status, said) => {
  const r = runCli(args, dir, { node: withoutArrowOrZod });
  expect(r.status, r.stderr).toBe(status);
  expect(r.stdout + r.stderr).toMatch(said);
  expect(r.stderr).not.toMatch(/was loaded/);
});

// A --config file is read and refused on what its bytes say before the run's library loads: a
// spec with a bad field, and a file of Arrow's (a results or targets file given for the spec).
it.each([
  ['bad-spec.json', '{"targets": 3}', /targets: expected a list of target entries/],
  ['given.arrow', 'ARROW1\0\0', /--config given\.arrow is an Arrow file \(results or targets\), not a sweep spec/],
] as const)('sweep --config %s is refused without loading apache-arrow', (name, bytes, said) => {
  writeFileSync(join(dir, name), bytes);
  const r = runCli(['sweep', '--config', name], dir, { node: withoutArrow });
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toMatch(said);
  expect(r.stderr).not.toMatch(/apache-arrow was loaded/);
});
