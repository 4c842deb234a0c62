// The environment variables distprompt reads against README.md: each one the library, the addon
// or the install scripts read is named there, and each DISTPROMPT_ variable the docs name is read,
// so a variable is neither a hidden knob nor a documented one that does nothing.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const docs = [readme, ...readdirSync(join(root, 'docs')).map((f) => readFileSync(join(root, 'docs', f), 'utf8'))];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|cc|h|cu)$/.test(p) ? [p] : [];
  });
}

/** What the package runs: the library, the addon, and the scripts an install runs. */
const sources = [
  ...files(join(root, 'lib')),
  ...files(join(root, 'native')),
  ...['install.mjs', 'torch-locate.mjs', 'build-gyp.mjs', 'torch-gyp.mjs', 'gyp-sources.mjs'].map((f) =>
    join(root, 'scripts', f),
  ),
  join(root, 'CMakeLists.txt'),
].map((f) => readFileSync(f, 'utf8'));

/** Variables every program reads from its environment, not distprompt's to document. */
const SYSTEM = new Set(['HOME', 'PATH']);

const read = new Set(
  sources.flatMap((src) =>
    [...src.matchAll(/(?:env\.|env\[['"]|getenv\(["']|intVar\(env, '|\$ENV\{)([A-Z][A-Za-z0-9_]*[A-Z0-9])\b/g)]
      .map((m) => m[1])
      .filter((name) => !SYSTEM.has(name) && (name === name.toUpperCase() || name.includes('_'))),
  ),
);

describe('environment variables', () => {
  it('every one distprompt reads is named in README.md', () => {
    expect(read.size).toBeGreaterThan(20);
    expect([...read].filter((name) => !new RegExp(`\\b${name}\\b`).test(readme))).toEqual([]);
  });

  it('every DISTPROMPT_ variable the docs name is one distprompt reads (or a warning code)', () => {
    const named = new Set(docs.flatMap((d) => [...d.matchAll(/\bDISTPROMPT_[A-Z0-9_]+/g)].map((m) => m[0])));
    const codes = new Set(
      sources.flatMap((src) => [...src.matchAll(/code: '(DISTPROMPT_[A-Z0-9_]+)'/g)].map((m) => m[1])),
    );
    expect([...named].filter((name) => !read.has(name) && !codes.has(name))).toEqual([]);
  });
});
