// The addon is compiled in unity batches (CMakeLists.txt's UNITY_BUILD, binding.gyp through
// scripts/gyp-sources.mjs). Each native source must be compiled exactly once whatever the number
// of jobs, the AVX2 file alone, and no source may leave a `using namespace` at file scope, where
// it would reach the files batched after it.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDirs } from './helpers/cli.js';

const root = join(import.meta.dirname, '..');
const folder = scratchDirs('native-unity');

/** Every .cc file under native/, as 'dir/file.cc'. */
const ccFiles = readdirSync(join(root, 'native'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(root, 'native', d.name))
      .filter((f) => f.endsWith('.cc'))
      .map((f) => `${d.name}/${f}`),
  )
  .sort();

/** What binding.gyp compiles with these variables: each source file and the batch that holds it. */
function gypBuild(env: Record<string, string>): { units: string[]; compiled: Map<string, string> } {
  const dir = folder();
  symlinkSync(join(root, 'native'), join(dir, 'native'));
  const out = execFileSync(process.execPath, [join(root, 'scripts', 'gyp-sources.mjs')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, DISTPROMPT_UNITY_BUILD: '', DISTPROMPT_BUILD_JOBS: '', ...env },
  });
  const units = out.split('\n').filter(Boolean);
  const compiled = new Map<string, string>();
  for (const unit of units) {
    const held = unit.startsWith('native/')
      ? [unit.slice('native/'.length)]
      : [...readFileSync(join(dir, unit), 'utf8').matchAll(/^#include "([^"]+)"$/gm)].map((m) => m[1]);
    for (const s of held) {
      expect(compiled.has(s), `${s} compiled twice`).toBe(false);
      compiled.set(s, unit);
    }
  }
  return { units, compiled };
}

describe('unity batches', () => {
  it.each(['1', '2', '16', '64'])('with %s build jobs, binding.gyp compiles every native source once', (jobs) => {
    const { units, compiled } = gypBuild({ DISTPROMPT_BUILD_JOBS: jobs });
    expect([...compiled.keys()].sort()).toEqual(ccFiles);
    // As many batches as jobs, each of the same size but the last, and the AVX2 file alone.
    const batched = ccFiles.length - 1;
    const batches = units.filter((u) => !u.startsWith('native/'));
    expect(batches.length).toBe(Math.ceil(batched / Math.ceil(batched / Number(jobs))));
    expect(batches.length).toBeLessThanOrEqual(Number(jobs));
    expect(compiled.get('kernels/kl_cpu_avx2.cc')).toBe('native/kernels/kl_cpu_avx2.cc');
  });

  it('DISTPROMPT_UNITY_BUILD=0 names the sources themselves', () => {
    const { units } = gypBuild({ DISTPROMPT_UNITY_BUILD: '0' });
    expect([...units].sort()).toEqual(ccFiles.map((s) => `native/${s}`));
  });

  it('CMakeLists.txt compiles the same folders', () => {
    const cmake = readFileSync(join(root, 'CMakeLists.txt'), 'utf8');
    const globbed = [...cmake.matchAll(/\/native\/(\w+)\/\*\.cc/g)].map((m) => m[1]).sort();
    expect(globbed).toEqual([...new Set(ccFiles.map((s) => s.split('/')[0]))].sort());
  });

  it('no native source has a `using namespace` at file scope', () => {
    const offenders = ccFiles.filter((s) => /^using namespace /m.test(readFileSync(join(root, 'native', s), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
