// --devices writes its workers' spec to a folder under TMPDIR: one missing or not writable is
// named as TMPDIR, with what to do, not as Node's "mkdtemp" error; no output is left behind.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

import { runCli, scratchDir } from './helpers/cli.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';

const dir = scratchDir('devices-tmpdir');

test.each([
  ['missing', () => join(dir, 'no-such-folder')],
  [
    'a file, not a folder',
    () => {
      const file = join(dir, 'tmp-is-a-file');
      writeMicroConfig(dir, 'tmp-is-a-file');
      return file;
    },
  ],
])('TMPDIR %s: exit 2 naming TMPDIR and what to do', (_, tmp) => {
  writeMicroConfig(dir, 's.json');
  const r = runCli(['sweep', '-c', 's.json', '-o', 'r.arrow', '--devices', 'cpu,cpu', '--no-figures'], dir, {
    env: { TMPDIR: tmp() },
  });
  expect(r.stderr).toMatch(
    /cannot make the device workers' temporary folder in .* \(TMPDIR, else \/tmp\).*: set TMPDIR to a folder/,
  );
  expect(r.stderr).not.toMatch(/mkdtemp/);
  expect(r.status).toBe(2);
  expect(readdirSync(dir).filter((n) => n.startsWith('r.'))).toEqual([]);
});
