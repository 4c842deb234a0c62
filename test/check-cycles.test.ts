// scripts/check-cycles.mjs (run by `npm run lint`): it fails on an import cycle, names the loop,
// counts `import type` and re-exports as edges, and passes the real lib/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDirs } from './helpers/cli.js';

const root = join(import.meta.dirname, '..');
const script = join(root, 'scripts', 'check-cycles.mjs');
const check = (folder: string) => spawnSync(process.execPath, [script, folder], { cwd: root, encoding: 'utf8' });

const tmp = scratchDirs('cycles');

/** A temporary folder holding `files` (path → text). */
function tree(files: Record<string, string>): string {
  const dir = tmp();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('the import cycle check', () => {
  it('fails on a two-file cycle and names both files', () => {
    const dir = tree({
      'a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    });
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/import cycles in .*: 1/);
    expect(r.stderr).toMatch(/a\.ts -> .*b\.ts -> .*a\.ts/);
  });

  it('counts type-only imports and re-exports through an index, and ignores commented-out imports', () => {
    const typeCycle = tree({
      'x/index.ts': "export { y } from './y.js';\n",
      'x/y.ts': "import type { Z } from '../z.js';\nexport const y = (z: Z) => z;\n",
      'z.ts': "import { y } from './x/index.js';\nexport type Z = number;\nexport const w = y;\n",
    });
    expect(check(typeCycle).status).toBe(1);
    const commented = tree({
      'a.ts': "// import { b } from './b.js';\n/* import { b } from './b.js'; */\nexport const a = 1;\n",
      'b.ts': "import { a } from './a.js';\nexport const b = a;\n",
    });
    const r = check(commented);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no import cycles .* \(2 files\)/);
  });

  it('passes lib/', () => {
    const r = check('lib');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no import cycles in lib/);
  });
});
