// A failed native build ends on one line that names its cause (scripts/build-failure.mjs), where it
// ended on three guesses under cmake's output, whatever had failed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// @ts-expect-error -- a plain ES module of the install scripts, without types
import { buildFailureCause } from '../scripts/build-failure.mjs';
import { scratchDir } from './helpers/cli.js';

const root = join(import.meta.dirname, '..');
const work = scratchDir('build-failure');

/** A libtorch folder whose TorchConfig.cmake holds `config`. */
function libtorch(name: string, config: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'share', 'cmake', 'Torch'), { recursive: true });
  writeFileSync(join(dir, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'), config);
  return dir;
}

/** The install against that libtorch, to where cmake stops: its last line. */
function lastLine(torchDir: string): string {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'install.mjs'), '--force'], {
    env: { ...process.env, DISTPROMPT_TORCH_DIR: torchDir, DISTPROMPT_BUILD_DIR: join(work, 'build') },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status).toBe(1);
  return r.stderr.trim().split('\n').pop()!;
}

it('a broken TorchConfig.cmake: named, with what to do', () => {
  const dir = libtorch('broken', 'this is not cmake (((\n');
  expect(lastLine(dir)).toBe(
    `distprompt: the native build failed: libtorch's cmake files (${join(dir, 'share', 'cmake', 'Torch', 'TorchConfig.cmake')}) ` +
      'are broken or incomplete: reinstall that libtorch, or set DISTPROMPT_TORCH_DIR to another 2.x, then run ' +
      '`npm rebuild distprompt` (in this repository: `npm run build:native`)',
  );
});

it('a libtorch 1.x whose version only its cmake files say: named with its version', () => {
  const dir = libtorch('old', 'set(Torch_VERSION 1.13.1)\nset(TORCH_FOUND TRUE)\nset(TORCH_LIBRARIES torch)\n');
  expect(lastLine(dir)).toMatch(
    /^distprompt: the native build failed: the libtorch at .* is 1\.13\.1; libtorch 2\.x is required/,
  );
});

it('the compiler killed for memory, and a full disk, as the compiler says them', () => {
  expect(
    buildFailureCause('c++: fatal error: Killed signal terminated program cc1plus\ncompilation terminated.', '/t'),
  ).toMatch(/^the compiler was killed, most likely for want of memory: set DISTPROMPT_BUILD_JOBS=1/);
  expect(buildFailureCause('/usr/bin/ld: final link failed: No space left on device', '/t')).toMatch(
    /^the disk is full/,
  );
  expect(buildFailureCause('error: something else entirely', '/t')).toBeNull();
});

// cmake-js's `compile`, which the install ran, answers a failed build by removing the whole build
// folder and building again from nothing: a DISTPROMPT_BUILD_DIR's other files were deleted, and
// every failure was met twice.
it('a failed build removes nothing from the build folder and is not run again', () => {
  const buildDir = join(work, 'own-folder');
  mkdirSync(buildDir);
  writeFileSync(join(buildDir, 'notes.txt'), 'mine\n');
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'install.mjs'), '--force'], {
    env: {
      ...process.env,
      DISTPROMPT_TORCH_DIR: libtorch('broken-2', 'not cmake (((\n'),
      DISTPROMPT_BUILD_DIR: buildDir,
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status).toBe(1);
  expect(readFileSync(join(buildDir, 'notes.txt'), 'utf8')).toBe('mine\n');
  expect(r.stdout + r.stderr).not.toMatch(/full rebuild|remove_directory/);
});
