// README.md's library against lib/index.ts: "What the library exports" names every value the
// entry exports, and each TypeScript example imports from 'distprompt' only what it exports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import * as entry from '../lib/index.js';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
const section = readme.split('### What the library exports')[1]?.split('\n### ')[0] ?? '';
const exported = Object.keys(entry);

describe("README's library", () => {
  it('"What the library exports" names every value the entry exports', () => {
    expect(exported.length).toBeGreaterThan(40);
    const unnamed = exported.filter((name) => !new RegExp(`\`(?:new )?${name}\\b`).test(section));
    expect(unnamed).toEqual([]);
  });

  it("each example imports from 'distprompt' only names the entry exports", () => {
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    const imports = blocks.flatMap((b) =>
      [...b.matchAll(/import\s*\{([^}]*)\}\s*from\s*'distprompt'/g)].flatMap((m) =>
        m[1]
          .split(',')
          .map((n) => n.trim().replace(/^type\s+/, ''))
          .filter(Boolean),
      ),
    );
    expect(imports.length).toBeGreaterThan(2);
    expect(imports.filter((n) => !exported.includes(n))).toEqual([]);
  });
});
