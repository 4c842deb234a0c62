// Every CLI process pays for the modules it loads: help, the version and a usage error (the
// commonest runs, a test suite's hundreds) load the flags alone, not the run's library and
// apache-arrow behind it. Checked by a module loader hook (node --import) under which loading
// apache-arrow fails: these commands must answer as ever all the same.
import { expect, it } from 'vitest';

import { runCli, scratchDir, withLoaderHooks } from './helpers/cli.js';

const dir = scratchDir('lazy-load');

const hooks = `
  export async function load(url, context, next) {
    if (url.includes('/node_modules/apache-arrow/')) throw new Error('apache-arrow was loaded');
    return next(url, context);
  }`;
const withoutArrow = withLoaderHooks(hooks);

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
