// Every benchmark's results file says where it ran and whether it was a --quick smoke run (whose
// numbers are not figures), written by the one writer they share (bench/common.ts save()), not by
// each script: bound.js wrote neither (nothing told its --quick file from a figure), digest.js no
// device. The built scripts (dist/bench) on the smallest inputs they take, each into a temporary
// --out-dir.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'distprompt-bench-saved-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The results JSON `script` wrote as `name`.json into its own folder under `dir`. */
function results(script: string, name: string, argv: string[]): Record<string, unknown> {
  const out = join(dir, script);
  const r = spawnSync(process.execPath, [join(root, 'dist', 'bench', script), ...argv, '--out-dir', out], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as Record<string, unknown>;
}

describe('a benchmark results file', () => {
  it('of a --quick run says so, and names its device', () => {
    const bound = results('bound.js', 'bound-cpu', ['--quick', '--model', 'random:micro']);
    expect(bound).toMatchObject({ device: 'cpu', quick: true, model: 'random:micro' });
  });

  it('of a script without --device or --quick says cpu and not quick', () => {
    const digest = results('digest.js', 'digest-cpu', ['--rows', '40', '--target-rows', '2', '--vocab', '64']);
    expect(digest).toMatchObject({ device: 'cpu', quick: false });
    expect(digest.results).toMatchObject({ rows: 40 });
  });
});
