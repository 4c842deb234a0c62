// Every file README.md and docs/ name exists: a path (`lib/run/lock.ts`, `bench/results/*.json`)
// as written, a bare file name (`cpu_cache.cc`, `fields.ts`) somewhere in the sources, so a file
// renamed or removed fails here rather than leave the page naming it.
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
});
