// The library's types as a user's own TypeScript meets them: every type a public function takes or
// returns, and every error class it throws, can be imported from 'distprompt'; and a script written
// from README.md's examples compiles with tsc --strict --module nodenext against the built package.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { unexportedTypes } from './helpers/public-types.js';

const root = join(import.meta.dirname, '..');

it('names no type the entry does not export', () => {
  expect(unexportedTypes(join(root, 'lib', 'index.ts'), join(root, 'lib') + '/')).toEqual([]);
});

it("a strict nodenext script of the README's examples compiles against dist/ (npm run build)", () => {
  // 'distprompt' resolves to this package itself (its name and exports), as an installed one would.
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const fixture = join(root, 'test', 'fixtures', 'consumer', 'tsconfig.json');
  let out = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', fixture], { cwd: root, encoding: 'utf8' });
  } catch (e) {
    out = (e as { stdout?: string }).stdout ?? String(e);
  }
  expect(out).toBe('');
});
