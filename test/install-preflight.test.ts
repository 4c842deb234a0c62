// scripts/install.mjs (what `npm install distprompt` runs) names what the build lacks before it
// looks for libtorch, which may mean a pip install of minutes: before, a missing cmake was told
// only after that, as cmake-js's "CMake executable is not found" under advice that named other
// causes, and an unwritable build folder as a bare ENOTDIR. And `npm rebuild distprompt`, the way a
// project that installed it rebuilds it, rebuilds a working addon: before, it said "already built".
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { executable, scratchDir } from './helpers/cli.js';

const root = join(import.meta.dirname, '..');
const work = scratchDir('preflight');

/** A folder for PATH holding only a `cmake` that reports this version (none when null). */
function pathWithCmake(version: string | null): string {
  const dir = mkdtempSync(join(work, 'bin-'));
  if (version !== null) {
    executable(join(dir, 'cmake'), `#!/bin/sh\necho "cmake version ${version}"\n`);
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

// The build knobs and the compiler, checked before libtorch is looked for: a bad knob was passed
// on to cmake as it was (DISTPROMPT_BUILD_JOBS=-1: cmake's usage text; abc, 0 and
// DISTPROMPT_UNITY_BUILD=maybe: ignored without a word), and CXX naming no compiler was told only
// by cmake's "Could not find compiler set in environment variable CXX" under a list of guesses.
/** A PATH with a cmake of 3.25 and, unless `compiler` is false, this machine's c++. */
function pathWithTools(compiler = true): string {
  const dir = pathWithCmake('3.25.1');
  const found = (process.env.PATH ?? '').split(':').find((d) => d && existsSync(join(d, 'c++')));
  if (compiler && found) symlinkSync(join(found, 'c++'), join(dir, 'c++'));
  return dir;
}

function installWith(env: Record<string, string>, path = pathWithTools()) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'install.mjs'), '--force'], {
    env: { HOME: work, PATH: path, DISTPROMPT_BUILD_DIR: join(work, 'build'), DISTPROMPT_NO_AUTO_TORCH: '1', ...env },
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr };
}

it.each([
  ['DISTPROMPT_BUILD_JOBS', '-1', /DISTPROMPT_BUILD_JOBS='-1' is not a whole number of compile jobs above 0/],
  ['DISTPROMPT_BUILD_JOBS', '0', /DISTPROMPT_BUILD_JOBS='0' is not a whole number/],
  ['DISTPROMPT_BUILD_JOBS', 'abc', /DISTPROMPT_BUILD_JOBS='abc' is not a whole number/],
  ['DISTPROMPT_UNITY_BUILD', 'maybe', /DISTPROMPT_UNITY_BUILD='maybe' is neither 0 \(file by file\) nor 1/],
  ['DISTPROMPT_CUDA_ARCH', 'garbage', /DISTPROMPT_CUDA_ARCH='garbage' is not a list of CUDA architectures/],
  ['DISTPROMPT_CUDA_ARCH', '8.0', /DISTPROMPT_CUDA_ARCH='8\.0' is not a list/],
  // Only 1 was read as set: 'true' built the addon (minutes), 'yes' let pip install torch.
  ['DISTPROMPT_SKIP_BUILD', 'true', /DISTPROMPT_SKIP_BUILD='true' is not 1: set it to 1 to install without building/],
  ['DISTPROMPT_NO_AUTO_TORCH', 'yes', /DISTPROMPT_NO_AUTO_TORCH='yes' is not 1: set it to 1 to be shown the commands/],
  ['CXX', '/nonexistent/g++', /CXX=\/nonexistent\/g\+\+ names no executable compiler/],
])('%s=%s: named before libtorch is looked for', (name, value, message) => {
  const r = installWith({ [name]: value });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toContain('npm rebuild distprompt');
  expect(r.stderr).not.toMatch(/libtorch|CMake Error/);
});

it('good knob values pass on to the libtorch search; no compiler on PATH is named', () => {
  for (const [name, value] of [
    ['DISTPROMPT_BUILD_JOBS', '2'],
    ['DISTPROMPT_UNITY_BUILD', '0'],
    ['DISTPROMPT_CUDA_ARCH', '80;90a;86-real'],
    ['DISTPROMPT_CUDA_ARCH', 'all-major'],
  ]) {
    const r = installWith({ [name]: value, DISTPROMPT_TORCH_DIR: join(work, 'nowhere') });
    expect(r.stderr, `${name}=${value}`).toContain(`DISTPROMPT_TORCH_DIR=${join(work, 'nowhere')} does not exist`);
  }
  const r = installWith({}, pathWithTools(false));
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(
    /no C\+\+ compiler was found on PATH \(c\+\+, g\+\+, clang\+\+\): install g\+\+ 10 or newer/,
  );
});

// A rebuild stopped half-way (Ctrl-C during the compile) left the addon of the build before it,
// built against another libtorch say, and `npm install` then kept it as "already built".
it('an addon whose rebuild did not finish is not kept as built: the install builds again', () => {
  const built = join(work, 'stopped');
  mkdirSync(join(built, 'Release'), { recursive: true });
  copyFileSync(join(root, 'build', 'Release', 'distprompt.node'), join(built, 'Release', 'distprompt.node'));
  writeFileSync(join(built, 'Release', 'distprompt.node.unfinished'), 'a build started and has not finished\n');
  for (const args of [[], ['--if-missing']]) {
    const r = install(pathWithCmake(null), built, args, 'install');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the last build in ${built} did not finish, or its addon did not load; building again`);
    expect(r.stderr).toMatch(/cmake was not found on PATH/);
  }
});

// A relative DISTPROMPT_BUILD_DIR was taken from the working folder, and the install's check of
// a built addon require()d it as a bare name, a package to look up: it never found the addon, so
// `npm test` rebuilt it every time and a finished build said it "does not load".
it('a relative DISTPROMPT_BUILD_DIR is the package folder’s: its built addon is found and kept', () => {
  const pkg = mkdtempSync(join(work, 'pkg-'));
  cpSync(join(root, 'scripts'), join(pkg, 'scripts'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
  mkdirSync(join(pkg, 'own-build', 'Release'), { recursive: true });
  copyFileSync(join(root, 'build', 'Release', 'distprompt.node'), join(pkg, 'own-build', 'Release', 'distprompt.node'));
  const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'install.mjs'), '--if-missing'], {
    cwd: work,
    env: { HOME: work, PATH: pathWithCmake(null), DISTPROMPT_BUILD_DIR: 'own-build' },
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

it('a g++ older than 10 (no C++20): named with its version', () => {
  const path = pathWithTools(false);
  executable(
    join(path, 'c++'),
    '#!/bin/sh\necho "g++ (GCC) 9.4.0"\necho "Copyright (C) 2019 Free Software Foundation, Inc."\n',
  );
  const r = installWith({}, path);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/the C\+\+ compiler c\+\+ is g\+\+ 9, older than 10 \(distprompt is C\+\+20\)/);
});
