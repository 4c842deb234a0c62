// scripts/install.mjs (what `npm install distprompt` runs) names what the build lacks before it
// looks for libtorch, which may mean a pip install of minutes: before, a missing cmake was told
// only after that, as cmake-js's "CMake executable is not found" under advice that named other
// causes, and an unwritable build folder as a bare ENOTDIR. And `npm rebuild distprompt`, the way a
// project that installed it rebuilds it, rebuilds a working addon: before, it said "already built".
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { scratchDir } from './helpers/cli.js';

const root = join(import.meta.dirname, '..');
const work = scratchDir('preflight');

/** A folder for PATH holding only a `cmake` that reports this version (none when null). */
function pathWithCmake(version: string | null): string {
  const dir = mkdtempSync(join(work, 'bin-'));
  if (version !== null) {
    writeFileSync(join(dir, 'cmake'), `#!/bin/sh\necho "cmake version ${version}"\n`);
    chmodSync(join(dir, 'cmake'), 0o755);
  }
  return dir;
}

/** The install script in a bare environment, with its own build folder and no fetching of libtorch. */
function install(path: string, buildDir = join(work, 'build'), args = ['--force'], npmCommand = 'install') {
  const env = {
    HOME: work,
    PATH: path,
    DISTPROMPT_BUILD_DIR: buildDir,
    DISTPROMPT_NO_AUTO_TORCH: '1',
    npm_command: npmCommand,
  };
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'install.mjs'), ...args], { env, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

it('no cmake on PATH: says so and how to rebuild, before looking for libtorch', () => {
  const r = install(pathWithCmake(null));
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/cmake was not found on PATH \(ENOENT\): install cmake 3\.18 or newer/);
  expect(r.stderr).toContain('npm rebuild distprompt');
  expect(r.stderr).not.toMatch(/libtorch/);
});

it('a cmake older than 3.18: names its version', () => {
  const r = install(pathWithCmake('3.16.3'));
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/cmake on PATH is 3\.16, older than 3\.18/);
  expect(r.stderr).not.toMatch(/libtorch/);
});

it('a build folder that cannot be made: names it and DISTPROMPT_BUILD_DIR', () => {
  const file = join(work, 'a-file');
  writeFileSync(file, '');
  const r = install(pathWithCmake('3.25.1'), join(file, 'build'));
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(
    `the build folder ${join(file, 'build')} (DISTPROMPT_BUILD_DIR) cannot be written (ENOTDIR)`,
  );
  expect(r.stderr).not.toMatch(/libtorch/);
});

it('npm rebuild distprompt rebuilds a working addon, which npm install keeps', () => {
  const built = join(work, 'built');
  mkdirSync(join(built, 'Release'), { recursive: true });
  copyFileSync(join(root, 'build', 'Release', 'distprompt.node'), join(built, 'Release', 'distprompt.node'));
  const kept = install(pathWithCmake(null), built, [], 'install');
  expect(kept.status).toBe(0);
  expect(kept.stderr).toMatch(/addon already built at .* \(npm rebuild distprompt rebuilds it/);
  // Rebuilding goes as far as this PATH lets it: to the missing cmake.
  const rebuilt = install(pathWithCmake(null), built, [], 'rebuild');
  expect(rebuilt.status).toBe(1);
  expect(rebuilt.stderr).toMatch(/cmake was not found on PATH/);
});
