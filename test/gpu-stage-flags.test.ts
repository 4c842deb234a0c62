// Every flag bench/gpu/run.sh gives a benchmark is one the benchmark reads. The scripts' `args()`
// ignores a flag it is not asked for, and most GPU commands differ from the rehearsal's (which runs
// on CPU with --quick): a misspelt `--dtpye bfloat16` would run float32 on the GPU, found out only
// in the results of a lease that cannot be repeated.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const runSh = readFileSync(join(root, 'bench', 'gpu', 'run.sh'), 'utf8');

/** Each `node <script> <flags…>` of run.sh that runs a benchmark: its source file and flags. */
function commands(): { source: string; flags: string[] }[] {
  const out: { source: string; flags: string[] }[] = [];
  for (const m of runSh.matchAll(/node (dist\/bench\/[\w-]+\.js|bench\/gpu\/[\w-]+\.mjs)([^;|\n]*)/g)) {
    const source = m[1].startsWith('dist/') ? m[1].replace(/^dist\//, '').replace(/\.js$/, '.ts') : m[1];
    const flags = [...m[2].matchAll(/(?:^|\s)(--[a-z][\w-]*)/g)].map((f) => f[1]);
    out.push({ source, flags });
  }
  return out;
}

/** A bench source and the bench files it imports, transitively: where its flags may be read. */
function sources(file: string, seen = new Set<string>()): string {
  if (seen.has(file) || !existsSync(join(root, file))) return '';
  seen.add(file);
  const text = readFileSync(join(root, file), 'utf8');
  let all = text;
  for (const m of text.matchAll(/(?:from |import\()'(\.{1,2}\/[^']+)'/g)) {
    const target = join(dirname(file), m[1]).replace(/\.js$/, '.ts');
    if (target.startsWith('bench/')) all += sources(target, seen);
  }
  return all;
}

describe('bench/gpu/run.sh', () => {
  const found = commands();

  it('gives each benchmark only flags the benchmark reads', () => {
    expect(found.length, 'the benchmark commands of run.sh').toBeGreaterThan(20);
    const unread = found.flatMap(({ source, flags }) => {
      expect(existsSync(join(root, source)), `${source} exists`).toBe(true);
      const text = sources(source);
      return flags.filter((f) => !text.includes(`'${f}'`)).map((f) => `${source}: ${f}`);
    });
    expect(unread).toEqual([]);
  });
});
