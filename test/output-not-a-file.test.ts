// An output that is there but is not a plain file (a symbolic link, a dangling one, a FIFO) is
// refused before any work, naming it: every finished file is renamed onto its name, which would
// replace the link or pipe (or, run as root, a device such as /dev/null) with a file. Through the
// built CLI, as a user gives it, and through writeAtomic, which every output passes.
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

import { writeAtomic } from '../lib/io/atomic.js';
import { FileError } from '../lib/io/fs-error.js';
import { runCli, scratchDir } from './helpers/cli.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';

const dir = scratchDir('not-a-file');
const run = (...args: string[]) => runCli(args, dir);

beforeAll(() => {
  writeMicroConfig(dir, 's.json');
  expect(run('sweep', '-c', 's.json', '-o', 'done.arrow', '--no-figures', '-q').status).toBe(0);
  mkdirSync(join(dir, 'other'));
  writeFileSync(join(dir, 'other', 'kept.arrow'), 'the file the link names');
  symlinkSync(join('other', 'kept.arrow'), join(dir, 'link.arrow'));
  symlinkSync(join('other', 'nothing.arrow'), join(dir, 'dangling.arrow'));
  expect(spawnSync('mkfifo', [join(dir, 'pipe.arrow')]).status).toBe(0);
});

/** The link or pipe is as it was, and nothing was written beside it. */
function untouched(name: string) {
  const s = lstatSync(join(dir, name));
  expect(s.isSymbolicLink() || s.isFIFO()).toBe(true);
  expect(readFileSync(join(dir, 'other', 'kept.arrow'), 'utf8')).toBe('the file the link names');
  expect(existsSync(join(dir, `${name}.partial`))).toBe(false);
}

describe('an output that is not a plain file', () => {
  test.each([
    [
      'sweep --overwrite onto a link',
      ['sweep', '-c', 's.json', '-o', 'link.arrow', '--overwrite', '--no-figures'],
      'link.arrow',
      /link\.arrow is a symbolic link to other\/kept\.arrow/,
    ],
    [
      'sweep onto a dangling link',
      ['sweep', '-c', 's.json', '-o', 'dangling.arrow', '--no-figures'],
      'dangling.arrow',
      /dangling\.arrow is a symbolic link to other\/nothing\.arrow/,
    ],
    [
      'merge --overwrite onto a FIFO',
      ['merge', 'done.arrow', '-o', 'pipe.arrow', '--overwrite'],
      'pipe.arrow',
      /pipe\.arrow is a named pipe \(FIFO\), not a file/,
    ],
    [
      'targets --overwrite onto a link',
      ['targets', '-m', 'random:micro', '--entropy', '1', '-o', 'link.arrow', '--overwrite'],
      'link.arrow',
      /link\.arrow is a symbolic link/,
    ],
    [
      'report onto a dangling link',
      ['report', 'done.arrow', '-o', 'dangling.arrow'],
      'dangling.arrow',
      /dangling\.arrow is a symbolic link/,
    ],
  ])('%s: exit 2 before any work, named', (_, args, name, message) => {
    const r = run(...args);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(/rows in|appeared while/);
    untouched(name);
  });

  test('writeAtomic refuses a FIFO and a link, and writes a plain file', async () => {
    await expect(writeAtomic(join(dir, 'pipe.arrow'), 'x')).rejects.toThrow(FileError);
    await expect(writeAtomic(join(dir, 'link.arrow'), 'x')).rejects.toThrow(/symbolic link/);
    untouched('pipe.arrow');
    untouched('link.arrow');
    await writeAtomic(join(dir, 'plain.txt'), 'x');
    expect(readFileSync(join(dir, 'plain.txt'), 'utf8')).toBe('x');
  });
});
