// The private environment that `npm install` fetches libtorch into (.distprompt-torch/venv,
// scripts/torch-locate.mjs), when its making was stopped: a Ctrl-C during `python -m venv` left
// an environment without pip, and every later install failed on "No module named pip"; a pip
// killed while unpacking torch left one whose `import torch` may work while headers or cmake files
// are missing, and it was built against. Such an environment is now passed over and made again.
// And a DISTPROMPT_PYTHON that cannot run is named, where it was passed over without a word.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { executable, scratchDir } from './helpers/cli.js';

const root = join(import.meta.dirname, '..');
const work = scratchDir('private-env');

/**
 * A package folder of its own (the scripts copied: the private environment lies beside them),
 * whose .distprompt-torch/venv holds a python that answers the torch probe, as a venv whose
 * torch imports does; with torch's pip INSTALLER record when `finished`.
 */
function packageWithEnv(finished: boolean): string {
  const pkg = mkdtempSync(join(work, 'pkg-'));
  cpSync(join(root, 'scripts'), join(pkg, 'scripts'), { recursive: true });
  const venv = join(pkg, '.distprompt-torch', 'venv');
  const cmake = join(venv, 'lib', 'python3.11', 'site-packages', 'torch', 'share', 'cmake');
  mkdirSync(join(cmake, 'Torch'), { recursive: true });
  writeFileSync(join(cmake, 'Torch', 'TorchConfig.cmake'), '');
  const info = join(venv, 'lib', 'python3.11', 'site-packages', 'torch-2.13.0+cpu.dist-info');
  mkdirSync(info);
  writeFileSync(join(info, 'METADATA'), 'Name: torch\nVersion: 2.13.0+cpu\n');
  if (finished) writeFileSync(join(info, 'INSTALLER'), 'pip\n');
  mkdirSync(join(venv, 'bin'));
  executable(join(venv, 'bin', 'python'), `#!/bin/sh\nprintf '2.13.0+cpu\\n${cmake}\\n0\\n'\n`);
  return pkg;
}

/** findTorch of the package at `pkg`, in a child with this environment: what it returns and logs. */
function findTorch(pkg: string, env: Record<string, string>) {
  const script = `import(${JSON.stringify(join(pkg, 'scripts', 'torch-locate.mjs'))}).then((m) => {
    try { console.log(JSON.stringify(m.findTorch(console.error))); } catch (e) { console.error('threw: ' + e.message); process.exitCode = 1; }
  })`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { HOME: work, ...env }, encoding: 'utf8' });
  return { status: r.status, found: r.stdout.trim() ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

/** A PATH that holds no python3: only the build tools install.mjs checks for first, cmake and c++. */
const noPython = mkdtempSync(join(work, 'bin-'));
for (const tool of ['cmake', 'c++']) {
  const dir = (process.env.PATH ?? '').split(':').find((d) => d && existsSync(join(d, tool)));
  if (dir) symlinkSync(join(dir, tool), join(noPython, tool));
}

it('a private environment whose torch pip finished installing is used', () => {
  const pkg = packageWithEnv(true);
  const r = findTorch(pkg, { PATH: noPython });
  expect(r.found).toMatchObject({ source: 'private environment', version: '2.13.0+cpu' });
});

it('one whose install was stopped before torch was in place is not built against, though torch imports', () => {
  const pkg = packageWithEnv(false);
  expect(findTorch(pkg, { PATH: noPython }).found).toBeNull();
});

it.each([
  ['', ''],
  ['torch==0.0.1', 'It was asked for torch==0.0.1 (DISTPROMPT_TORCH_SPEC)'],
])(
  'the install removes such an environment and makes it again, saying why (DISTPROMPT_TORCH_SPEC=%s)',
  (spec, said) => {
    const pkg = packageWithEnv(false);
    // A base python that makes a venv whose pip fails: the install goes as far as pip, from nothing.
    const base = executable(
      join(mkdtempSync(join(work, 'base-')), 'python3'),
      `#!/bin/sh\n[ "$1 $2" = "-m venv" ] || exit 1\nmkdir -p "$3/bin"\nprintf '#!/bin/sh\\necho "pip: cannot reach the index" >&2\\nexit 1\\n' > "$3/bin/python"\nchmod +x "$3/bin/python"\n`,
    );
    const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'install.mjs'), '--force'], {
      env: {
        HOME: work,
        PATH: `${join(base, '..')}:${process.env.PATH}`,
        DISTPROMPT_PYTHON: base,
        DISTPROMPT_BUILD_DIR: join(pkg, 'build'),
        // a file:// index: pip's to read, not asked over the network first
        DISTPROMPT_TORCH_INDEX: `file://${work}`,
        ...(spec ? { DISTPROMPT_TORCH_SPEC: spec } : {}),
      },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(said);
    expect(r.stderr).toContain(
      `removing ${join(pkg, '.distprompt-torch', 'venv')} to make it again: it was left half-made (its install was stopped before torch was in place)`,
    );
    // made again from nothing: the old torch files are gone
    expect(existsSync(join(pkg, '.distprompt-torch', 'venv', 'lib'))).toBe(false);
    expect(r.stderr).toMatch(
      /pip could not install torch into .* \(exit 1; pip's output above\)\..* The next install makes that environment again/,
    );
  },
);

it('no Python to make it with: says so in words, and what to install', () => {
  const pkg = packageWithEnv(false);
  const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'install.mjs'), '--force'], {
    env: { HOME: work, PATH: noPython, DISTPROMPT_BUILD_DIR: join(pkg, 'build') },
    encoding: 'utf8',
  });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/no Python to make it with was found: python3 was not found\. Install Python 3/);
  expect(r.stderr).not.toMatch(/ENOENT|spawnSync/);
});

it('a DISTPROMPT_PYTHON that cannot run is named; one whose import of torch crashes is passed over, saying so', () => {
  const pkg = packageWithEnv(true);
  const missing = findTorch(pkg, { PATH: noPython, DISTPROMPT_PYTHON: join(work, 'nowhere', 'python') });
  expect(missing.status).toBe(1);
  expect(missing.stderr).toContain(
    `threw: DISTPROMPT_PYTHON=${join(work, 'nowhere', 'python')}: ${join(work, 'nowhere', 'python')} was not found`,
  );
  const folder = findTorch(pkg, { PATH: noPython, DISTPROMPT_PYTHON: work });
  expect(folder.stderr).toMatch(/cannot be run \(EACCES: a folder, or a file that is not executable\)/);
  const crashing = executable(join(noPython, 'crashing-python'), '#!/bin/sh\nkill -SEGV $$\n');
  const crashed = findTorch(pkg, { PATH: noPython, DISTPROMPT_PYTHON: crashing });
  expect(crashed.stderr).toContain(`not using ${crashing}: \`import torch\` in ${crashing} crashed (SIGSEGV)`);
  expect(crashed.found).toMatchObject({ source: 'private environment' });
});

it('DISTPROMPT_TORCH_DIR: a missing folder, a file and a libtorch 1.x are each named as what they are', () => {
  const pkg = packageWithEnv(true);
  const file = join(work, 'a-file');
  writeFileSync(file, '');
  expect(findTorch(pkg, { DISTPROMPT_TORCH_DIR: join(work, 'nowhere') }).stderr).toContain(
    `DISTPROMPT_TORCH_DIR=${join(work, 'nowhere')} does not exist`,
  );
  expect(findTorch(pkg, { Torch_DIR: file }).stderr).toContain(`Torch_DIR=${file} is a file, not a folder`);
  const old = join(work, 'libtorch-1', 'share', 'cmake', 'Torch');
  mkdirSync(old, { recursive: true });
  writeFileSync(join(old, 'TorchConfig.cmake'), '');
  writeFileSync(join(old, 'TorchConfigVersion.cmake'), 'set(PACKAGE_VERSION "1.13.1")\n');
  expect(findTorch(pkg, { DISTPROMPT_TORCH_DIR: join(work, 'libtorch-1') }).stderr).toContain(
    `DISTPROMPT_TORCH_DIR=${join(work, 'libtorch-1')} is libtorch 1.13.1: libtorch 2.x is required`,
  );
});

// binding.gyp asks scripts/torch-gyp.mjs for libtorch's folders: a bad DISTPROMPT_TORCH_DIR there
// was a stack trace inside node-gyp's output.
it('torch-gyp.mjs (node-gyp): a bad DISTPROMPT_TORCH_DIR is one line, not a stack', () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'torch-gyp.mjs'), 'prefix'], {
    env: { HOME: work, PATH: noPython, DISTPROMPT_TORCH_DIR: join(work, 'nowhere') },
    encoding: 'utf8',
  });
  expect(r.status).toBe(1);
  expect(r.stderr.trim()).toBe(
    `distprompt: DISTPROMPT_TORCH_DIR=${join(work, 'nowhere')} does not exist. Point it at a libtorch 2.x folder ` +
      "(for pip's torch: python3 -c 'import torch;print(torch.utils.cmake_prefix_path)').",
  );
});

// A package folder the installing user cannot write (a .distprompt-torch that is a file stands in
// for one: root writes everywhere) was told as `python3 -m venv`'s error, under advice to install
// Python's venv module.
it('a folder libtorch cannot be fetched into is named as such', () => {
  const pkg = mkdtempSync(join(work, 'pkg-'));
  cpSync(join(root, 'scripts'), join(pkg, 'scripts'), { recursive: true });
  writeFileSync(join(pkg, '.distprompt-torch'), '');
  const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'install.mjs'), '--force'], {
    env: {
      HOME: work,
      PATH: `${noPython}:${join(process.execPath, '..')}`,
      DISTPROMPT_PYTHON: 'python3',
      DISTPROMPT_BUILD_DIR: join(pkg, 'build'),
    },
    encoding: 'utf8',
  });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(
    new RegExp(
      `the folder libtorch is fetched into, ${join(pkg, '.distprompt-torch')}, cannot be written \\((ENOTDIR|EEXIST)\\)`,
    ),
  );
});

// The environment was filled once, with DISTPROMPT_TORCH_SPEC as it was then: a later build with
// another spec was built against the old torch without a word. The spec pip was given is now kept
// in the environment, and a build that asks for another installs it there.
it('a DISTPROMPT_TORCH_SPEC other than the environment was filled with is installed into it; the same one, or none, is not', () => {
  const pkg = packageWithEnv(true);
  // install.mjs as a package runs it (cmake-js reads package.json), to a build that stops at once:
  // a stand-in cmake that fails all but `cmake --version`.
  cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
  const bin = mkdtempSync(join(work, 'bin-'));
  if (existsSync(join(noPython, 'c++'))) symlinkSync(join(noPython, 'c++'), join(bin, 'c++'));
  executable(join(bin, 'cmake'), '#!/bin/sh\n[ "$1" = --version ] && echo "cmake version 3.28.0" && exit 0\nexit 1\n');
  // The environment's python, also as pip: it writes down what it is asked to install.
  const venv = join(pkg, '.distprompt-torch', 'venv');
  const pipLog = join(pkg, 'pip.log');
  const probe = readFileSync(join(venv, 'bin', 'python'), 'utf8').split('\n')[1];
  executable(
    join(venv, 'bin', 'python'),
    `#!/bin/sh\nif [ "$1 $2 $3" = "-m pip install" ]; then echo "$*" >> ${pipLog}; exit 0; fi\n${probe}\n`,
  );
  const asked = () => (existsSync(pipLog) ? readFileSync(pipLog, 'utf8').trim().split('\n') : []);
  const install = (env: Record<string, string>) =>
    spawnSync(process.execPath, [join(pkg, 'scripts', 'install.mjs'), '--force'], {
      // a file:// index: pip's to read, not asked over the network first
      env: {
        HOME: work,
        PATH: bin,
        DISTPROMPT_BUILD_DIR: join(pkg, 'build'),
        DISTPROMPT_TORCH_INDEX: `file://${work}`,
        ...env,
      },
      encoding: 'utf8',
    });

  // made before the spec was kept: what it holds is not known
  let r = install({ DISTPROMPT_TORCH_SPEC: 'torch==2.9.0' });
  expect(r.stderr).toContain(
    `distprompt: DISTPROMPT_TORCH_SPEC=torch==2.9.0, and ${venv} was filled with a torch whose spec was not recorded: installing torch==2.9.0 into it`,
  );
  expect(asked()).toEqual([`-m pip install --disable-pip-version-check --index-url file://${work} torch==2.9.0`]);
  expect(readFileSync(join(venv, 'distprompt-torch-spec'), 'utf8')).toBe('torch==2.9.0\n');
  expect(r.stderr).toMatch(/distprompt: the native build failed/); // built against it, as far as the stand-in cmake goes

  for (const same of [{ DISTPROMPT_TORCH_SPEC: 'torch==2.9.0' }, {}] as Record<string, string>[]) {
    r = install(same);
    expect(r.stderr).not.toContain('DISTPROMPT_TORCH_SPEC=');
    expect(r.stderr).toContain(`distprompt: using libtorch 2.13.0+cpu from private environment`);
    expect(asked()).toHaveLength(1);
  }

  r = install({ DISTPROMPT_TORCH_SPEC: 'torch==2.10.0', DISTPROMPT_NO_AUTO_TORCH: '1' });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(
    `distprompt: DISTPROMPT_TORCH_SPEC=torch==2.10.0, and ${venv} was filled with torch==2.9.0; DISTPROMPT_NO_AUTO_TORCH=1 keeps pip from installing it`,
  );
  expect(asked()).toHaveLength(1);

  r = install({ DISTPROMPT_TORCH_SPEC: 'torch==2.10.0' });
  expect(r.stderr).toContain(`${venv} was filled with torch==2.9.0: installing torch==2.10.0 into it`);
  expect(asked()).toHaveLength(2);
  expect(readFileSync(join(venv, 'distprompt-torch-spec'), 'utf8')).toBe('torch==2.10.0\n');
});
