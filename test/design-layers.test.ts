// docs/design.md's layers against the imports: the list names every folder and file at the top of
// lib/, imports run down it, and each import that reaches up is one the paragraph above the list
// names (the importing file or its folder, and the imported file; today there is none), so a new
// one is documented or removed rather than left for the page to go stale.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const doc = readFileSync(join(root, 'docs', 'design.md'), 'utf8');
const section = doc.split('## Layers (as built)')[1]?.split('\n## ')[0] ?? '';
const [prose, block] = section.split('```');

/** The list's entries in order, as top-level names of lib/ (`cli`, `index.ts`); one line may name several. */
const order: string[][] = block
  .split('\n')
  .map((line) =>
    [...(/^((?:lib\/[\w.-]+\/?(?:, )?)+)/.exec(line)?.[1] ?? '').matchAll(/lib\/([\w.-]+)/g)].map((m) => m[1]),
  )
  .filter((names) => names.length > 0);
const rank = new Map(order.flatMap((names, i) => names.map((n) => [n, i] as const)));
const named = new Set([...prose.matchAll(/`(lib\/[^`]+)`/g)].map((m) => m[1]));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of each file of lib/, as repository paths (`lib/model/model.ts`). */
function imports(): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  for (const file of files(join(root, 'lib'))) {
    const src = readFileSync(file, 'utf8');
    const from = relative(root, file);
    for (const m of src.matchAll(/(?:from\s+|import\(\s*)'(\.{1,2}\/[^']+)'/g))
      out.push({ from, to: relative(root, join(dirname(file), m[1])).replace(/\.js$/, '.ts') });
  }
  return out;
}

const top = (path: string) => path.split('/')[1];

describe("docs/design.md's layers", () => {
  it('list every folder and file at the top of lib/', () => {
    expect(order.length).toBeGreaterThan(10);
    expect([...rank.keys()].sort()).toEqual(readdirSync(join(root, 'lib')).sort());
  });

  it('name each import that reaches up the list, by its file or folder and the file it reaches', () => {
    const all = imports();
    const down = all.filter(({ from, to }) => rank.get(top(to))! > rank.get(top(from))!);
    // The scan sees the imports between layers (a scan that found none would pass any layout).
    expect(down.length, 'imports between layers found').toBeGreaterThan(300);
    const up = all.filter(({ from, to }) => rank.get(top(to))! < rank.get(top(from))!);
    const undocumented = up.filter(
      ({ from, to }) => !(named.has(from) || named.has(`${dirname(from)}/`)) || !named.has(to),
    );
    expect(undocumented.map(({ from, to }) => `${from} -> ${to}`)).toEqual([]);
  });
});
