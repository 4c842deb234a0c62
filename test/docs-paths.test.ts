// Every file README.md and docs/ name exists: a path (`lib/run/lock.ts`, `bench/results/*.json`)
// as written, a bare file name (`cpu_cache.cc`, `fields.ts`) somewhere in the sources, so a file
// renamed or removed fails here rather than leave the page naming it; and every function, type
// or constant docs/design.md names (`sweepStart`, `Tuner::finishEpoch`, `LOCK_RENEW_MS`) is one.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => join('docs', f))].map((path) => ({
  path,
  text: readFileSync(join(root, path), 'utf8'),
}));

function files(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((f) => {
    const p = join(dir, f);
    return statSync(join(root, p)).isDirectory() ? files(p) : [p];
  });
}
const all = ['lib', 'native', 'scripts', 'bench', 'test', 'studies', 'examples', 'docs'].flatMap(files);
const names = new Set(all.map((f) => basename(f)));

/** Whether `path` (a glob's `*` matching within one name) is a file or folder of the repository. */
function exists(path: string): boolean {
  if (!path.includes('*')) return existsSync(join(root, path));
  const re = new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  return all.some((f) => re.test(f));
}

describe('the files the docs name', () => {
  it('every path exists', () => {
    const paths = pages.flatMap(({ path, text }) =>
      [...text.matchAll(/(?<![\w./-])((?:lib|native|scripts|bench|test|studies|examples|docs)\/[\w./*-]*)/g)].map(
        (m) => ({ path, named: m[1].replace(/[.]$/, '') }),
      ),
    );
    expect(paths.length).toBeGreaterThan(100);
    expect(paths.filter(({ named }) => !exists(named)).map(({ path, named }) => `${path}: ${named}`)).toEqual([]);
  });

  it('every bare source file name is a file of the sources', () => {
    const bare = pages.flatMap(({ path, text }) =>
      [...text.matchAll(/(?<![\w./-])([\w-]+\.(?:ts|mjs|cc|h|cu))\b/g)].map((m) => ({ path, named: m[1] })),
    );
    expect(bare.length).toBeGreaterThan(10);
    expect(bare.filter(({ named }) => !names.has(named)).map(({ path, named }) => `${path}: ${named}`)).toEqual([]);
  });

  it('every function, type or constant design.md names is one of the sources', () => {
    // What was tried and dropped is, by its nature, no longer in the code.
    const design = pages.find((p) => p.path === join('docs', 'design.md'))!.text.split('**Tried and dropped**')[0];
    const code = [...all.filter((f) => /\.(ts|mjs|cc|h|cu)$/.test(f)), 'CMakeLists.txt', 'binding.gyp'].map((f) =>
      readFileSync(join(root, f), 'utf8'),
    );
    // Code-like names only: camelCase, PascalCase with a lower-case letter after the first, CONST_CASE, C++ scopes.
    const named = new Set(
      [...design.matchAll(/`([A-Za-z_][\w]*(?:::\w+)?)(?:\(\))?`/g)]
        .map((m) => m[1])
        .filter((n) => /[a-z][A-Z]|_|::/.test(n) || /^[A-Z][a-z]+[A-Z]/.test(n)),
    );
    expect(named.size).toBeGreaterThan(50);
    const missing = [...named].filter((n) => {
      const word = new RegExp(`\\b${n.split('::').pop()}\\b`);
      return !code.some((src) => word.test(src));
    });
    expect(missing).toEqual([]);
  });
});
