// --devices writes its workers' spec to a folder under TMPDIR: one missing or not writable is
// named as TMPDIR, with what to do, not as Node's "mkdtemp" error; no output is left behind.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
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

test("a run removes the workers' folders that runs killed before they could (their process is gone), and no other", () => {
  const tmp = join(dir, 'tmp-with-leftovers');
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  const folder = (pid: number, tag: string, files: string[]) => {
    const f = join(tmp, `distprompt-devices-${pid}-${Date.now()}-${tag}`);
    mkdirSync(f, { recursive: true });
    for (const name of files) writeFileSync(join(f, name), '{}');
    return f;
  };
  const stale = folder(dead, 'stale0', ['spec.json']);
  const live = folder(process.pid, 'live00', ['spec.json']);
  const foreign = folder(dead, 'other0', ['spec.json', 'notes.txt']);
  writeMicroConfig(dir, 's.json');
  const r = runCli(['sweep', '-c', 's.json', '-o', 'left.arrow', '--devices', 'cpu,cpu', '--no-figures'], dir, {
    env: { TMPDIR: tmp },
  });
  expect(r.status, r.stderr).toBe(0);
  expect(existsSync(stale)).toBe(false);
  expect(existsSync(join(live, 'spec.json'))).toBe(true);
  // Only the spec it writes is its to remove: a folder holding anything else stays.
  expect(readdirSync(foreign)).toEqual(['notes.txt']);
  // Its own folder went with the run.
  expect(readdirSync(tmp).sort()).toEqual([live, foreign].map((f) => basename(f)).sort());
});
