// Which libtorch `npm install` builds against (scripts/torch-locate.mjs). A CUDA torch (what pip
// gives researchers on Linux) cannot be built against without the CUDA toolkit: its cmake files
// stop the build. Where no nvcc is found such a torch is passed over, saying why, for a CPU build;
// and the private environment's torch comes from the CPU wheels unless pip has an index of its own.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';

// @ts-expect-error -- a plain ES module of the install scripts, without types
import { findTorch, torchIndex } from '../scripts/torch-locate.mjs';
import { executable } from './helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'distprompt-torch-choice-'));
const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A `python3` whose torch is a CUDA build: what probePython asks of it, answered. */
function cudaPython(): string {
  const bin = mkdtempSync(join(work, 'bin-'));
  const prefix = join(work, 'cuda-torch', 'share', 'cmake');
  mkdirSync(join(prefix, 'Torch'), { recursive: true });
  writeFileSync(join(prefix, 'Torch', 'TorchConfig.cmake'), '');
  return executable(join(bin, 'python3'), `#!/bin/sh\nprintf '2.9.0+cu128\\n${prefix}\\n1\\n'\n`);
}

it('a CUDA torch and no CUDA toolkit: passed over with the reason, not built against', () => {
  const python = cudaPython();
  process.env.DISTPROMPT_PYTHON = python;
  process.env.PATH = join(python, '..');
  for (const k of ['DISTPROMPT_TORCH_DIR', 'Torch_DIR', 'CUDACXX', 'CUDA_HOME', 'CUDA_PATH']) delete process.env[k];
  const lines: string[] = [];
  const found = findTorch((m: string) => lines.push(m), { cudaRoots: [] });
  expect(lines.join('\n')).toMatch(
    /not building against torch 2\.9\.0\+cu128 from .*python3: it is a CUDA build, .* needs the CUDA toolkit \(nvcc\)/,
  );
  expect(found?.python).not.toBe(python);
});

it('a CUDA torch with nvcc found (CUDA_HOME): built against, as asked', () => {
  const python = cudaPython();
  const home = join(work, 'cuda-home');
  mkdirSync(join(home, 'bin'), { recursive: true });
  executable(join(home, 'bin', 'nvcc'), '#!/bin/sh\n');
  process.env.DISTPROMPT_PYTHON = python;
  process.env.CUDA_HOME = home;
  delete process.env.DISTPROMPT_TORCH_DIR;
  delete process.env.Torch_DIR;
  const found = findTorch(() => undefined, { cudaRoots: [] });
  expect(found).toMatchObject({ python, version: '2.9.0+cu128', cuda: true });
});

it("the private environment's torch: DISTPROMPT_TORCH_INDEX, else a pip index of the user's, else (Linux) the CPU wheels", () => {
  process.env.DISTPROMPT_TORCH_INDEX = 'https://example.org/whl/cu128';
  expect(torchIndex()).toBe('https://example.org/whl/cu128');
  delete process.env.DISTPROMPT_TORCH_INDEX;
  process.env.PIP_INDEX_URL = 'https://mirror.example.org/simple';
  expect(torchIndex()).toBeUndefined();
  delete process.env.PIP_INDEX_URL;
  // A pip whose configuration names an index (a mirror): `pip config list` says global.index-url.
  const bin = mkdtempSync(join(work, 'pip-'));
  const mirrored = executable(join(bin, 'python'), '#!/bin/sh\necho "global.index-url=\'https://mirror\'"\n');
  expect(torchIndex(mirrored)).toBeUndefined();
  // extra-index-url adds to PyPI, whose Linux torch is the CUDA build
  const extra = executable(join(bin, 'python-extra'), '#!/bin/sh\necho "global.extra-index-url=\'file:///x\'"\n');
  expect(torchIndex(extra)).toBe(process.platform === 'linux' ? 'https://download.pytorch.org/whl/cpu' : undefined);
});
