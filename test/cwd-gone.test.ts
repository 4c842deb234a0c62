// A command run in a folder deleted after the shell entered it: exit 2 with words, not an abort
// (libtorch's MKL loader asked for the working folder: exit 134, a sweep's lock left behind).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

import { cli, scratchDir } from './helpers/cli.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';

const dir = scratchDir('cwd-gone');

/** `distprompt ...args` from inside a folder removed before node starts. */
function runInDeletedFolder(...args: string[]) {
  const gone = join(dir, 'gone');
  mkdirSync(gone);
  return spawnSync(
    'sh',
    ['-c', 'cd "$1" && rmdir "$1" && shift && exec "$@"', 'sh', gone, process.execPath, cli, ...args],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
}

test.each([
  ['info', ['info']],
  ['a sweep to an absolute output', ['sweep', '-c', join(dir, 's.json'), '-o', join(dir, 'r.arrow'), '--no-figures']],
])('%s in a deleted folder: exit 2, says so, leaves no lock', (_, args) => {
  writeMicroConfig(dir, 's.json');
  const r = runInDeletedFolder(...args);
  expect(r.stderr).toMatch(/the current folder no longer exists .*: cd to an existing folder/);
  expect(r.status).toBe(2);
  expect(existsSync(join(dir, 'r.arrow.lock'))).toBe(false);
});
