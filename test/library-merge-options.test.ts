// mergeResults as a script calls it: options of the wrong type are named, not read as truthy
// (overwrite: 'yes' replaced a finished file as true would), and paths are checked before any
// file is read (a missing list reached node:fs as 'The "path" argument must be of type string').
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { mergeResults } from '../lib/index.js';
import { scratchDir } from './helpers/cli.js';

describe('mergeResults options', () => {
  const dir = scratchDir('libmerge');
  const out = join(dir, 'merged.arrow');
  it.each([
    [[[], out, { overwrite: 'yes' }], "mergeResults: option overwrite must be true or false, got 'yes'"],
    [[[], out, { allowMissing: 1 }], 'mergeResults: option allowMissing must be true or false, got 1'],
    [[undefined, out], 'mergeResults: paths must be an array of results file paths, got undefined'],
    [[[join(dir, 'a.arrow')], undefined], 'mergeResults: out must be the path of the merged file, got undefined'],
  ])('%j', async (args, message) => {
    await expect((mergeResults as (...a: unknown[]) => Promise<unknown>)(...args)).rejects.toThrow(message);
    expect(existsSync(out)).toBe(false);
  });
});
