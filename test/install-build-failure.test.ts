// A failed native build ends on one line that names its cause (scripts/build-failure.mjs), where it
// ended on three guesses under cmake's output, whatever had failed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// @ts-expect-error -- a plain ES module of the install scripts, without types
import { buildFailureCause } from '../scripts/build-failure.mjs';
import { executable, runCli, scratchDir } from './helpers/cli.js';

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

// A build whose addon then failed its load check left the marker of a build stopped half-way, and
// the loader said "the last build did not finish", though the build had finished and the install
// had said why its addon does not load.
it.runIf(process.platform === 'linux')(
  'an addon that built but does not load: the loader says why, as the install did',
  () => {
    // An addon that needs a library since removed, as one built against a libtorch moved away does.
    const lib = join(work, 'needs-gone');
    mkdirSync(lib);
    writeFileSync(join(lib, 'gone.cc'), 'int gone() { return 1; }\n');
    writeFileSync(join(lib, 'addon.cc'), 'int gone();\nint f() { return gone(); }\n');
    const cxx = (...args: string[]) => expect(spawnSync('c++', ['-shared', '-fPIC', ...args]).status).toBe(0);
    cxx('-o', join(lib, 'libgone.so'), join(lib, 'gone.cc'));
    cxx('-o', join(lib, 'addon.node'), join(lib, 'addon.cc'), `-L${lib}`, '-lgone');
    rmSync(join(lib, 'libgone.so'));
    // A stand-in cmake whose build "links" that addon where cmake-js asks for it.
    const bin = join(work, 'cmake-bin');
    mkdirSync(bin);
    executable(
      join(bin, 'cmake'),
      `#!/bin/sh\n[ "$1" = --version ] && echo "cmake version 3.28.0"\n[ "$1" = --build ] && mkdir -p "$2/Release" && cp ${join(lib, 'addon.node')} "$2/Release/distprompt.node"\nexit 0\n`,
    );
    const buildDir = join(work, 'does-not-load');
    const env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      DISTPROMPT_TORCH_DIR: libtorch('stand-in', ''),
      DISTPROMPT_BUILD_DIR: buildDir,
    };
    const installing = (args: string[]) =>
      spawnSync(process.execPath, [join(root, 'scripts', 'install.mjs'), ...args], {
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
    const error = 'libgone.so: cannot open shared object file: No such file or directory';
    const r = installing(['--force']);
    expect(r.status).toBe(1);
    const said = `does not load (${error}): mend what it names (a library not found: set DISTPROMPT_TORCH_DIR to a complete libtorch 2.x), then run \`npm rebuild distprompt\``;
    expect(r.stderr.trim().split('\n').pop()).toMatch(new RegExp(`^distprompt: the addon built but ${escaped(said)}`));

    const loading = runCli(['info'], work, { env: { DISTPROMPT_BUILD_DIR: buildDir } });
    expect(loading.status).toBe(1);
    expect(loading.stderr).toContain(`The last build of it finished, but the addon ${said}`);
    expect(loading.stderr).not.toContain('did not finish');
    // and the install still takes it for an addon to build again, not one built
    expect(installing(['--if-missing']).stderr).toContain(
      `the last build in ${buildDir} did not finish, or its addon did not load; building again`,
    );
  },
);

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
