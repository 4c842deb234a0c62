// The library's types as a user's own TypeScript meets them: every type a public function takes or
// returns, and every error class it throws, can be imported from 'distprompt'; and a script written
// from README.md's examples compiles with tsc --strict --module nodenext against the built package.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { unexportedTypes } from './helpers/public-types.js';
import { tscErrors } from './helpers/tsc.js';

const root = join(import.meta.dirname, '..');

it('names no type the entry does not export', () => {
  expect(unexportedTypes(join(root, 'lib', 'index.ts'), join(root, 'lib') + '/')).toEqual([]);
});

it("a strict nodenext script of the README's examples compiles against dist/ (npm run build)", () => {
  // 'distprompt' resolves to this package itself (its name and exports), as an installed one would.
  expect(tscErrors(join(root, 'test', 'fixtures', 'consumer', 'tsconfig.json'))).toBe('');
});

it('with exactOptionalPropertyTypes and without skipLibCheck, what the runtime refuses does not compile and what it takes does, undefined too', () => {
  // type-facts.ts: a shard that is neither 'i/N' nor { index, count } (once typed unknown), a dtype
  // or bottleneck status of no such name (once any string), and options given as undefined, which
  // each call reads as left out (once refused by the compiler). Both scripts compile without
  // skipLibCheck: the public types once reached vega-lite's, which do not compile so.
  expect(tscErrors(join(root, 'test', 'fixtures', 'consumer', 'tsconfig.exact.json'))).toBe('');
});
