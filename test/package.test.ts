// package.json against the checkout: every path the package ships (`files`) exists, so `npm pack`
// neither misses what the code reads nor names what is gone.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };

it('every entry of files exists (dist/ once built)', () => {
  const missing = pkg.files.filter((f) => !existsSync(join(root, f)));
  expect(missing).toEqual([]);
});
