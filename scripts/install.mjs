#!/usr/bin/env node
// `npm install` entry: find (or fetch, through pip) libtorch 2.x, build the addon with cmake-js,
// then load it in a child process and say what was built. Flags:
//   --if-missing   do nothing when a working addon is already built (used by `npm test`)
//   --force        rebuild even if an addon exists (as `npm rebuild distprompt` does)
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join, resolve } from 'node:path';
import { buildFailureCause } from './build-failure.mjs';
import { THEN_REBUILD, findTorch, installPrivateTorch, manualCommands, packageRoot, privateEnv, privateSpecChange } from './torch-locate.mjs';

const require = createRequire(import.meta.url);
const log = (m) => console.error(m);
const args = new Set(process.argv.slice(2));
// A relative DISTPROMPT_BUILD_DIR is the package folder's, where lib/native/index.ts looks for it
// too: npm runs this script there, but a command runs wherever its user is.
const buildDir = resolve(packageRoot, process.env.DISTPROMPT_BUILD_DIR || 'build');
const addonPath = join(buildDir, 'Release', 'distprompt.node');
// Beside the addon while a build runs, removed once the built addon loads: a build stopped
// half-way (Ctrl-C, a failed compile) leaves it, and the addon there, an older one or a partial
// one, is neither kept as "already built" here nor loaded by lib/native/addon-file.ts, which reads
// it. A build whose addon does not load leaves it too, holding { loadError, advice } as JSON:
// the loader's refusal then says why, as the install did, where it would say "did not finish".
const unfinishedPath = `${addonPath}.unfinished`;

/** The built addon, loaded: { ok: true, info } (its buildInfo), or { ok: false, error } (one line: the loader's error). */
function probeAddon() {
  // In a child process: a broken binary (ABI mismatch, missing libtorch) must not take us down.
  const r = spawnSync(process.execPath, ['-e', `const a=require(${JSON.stringify(addonPath)});console.log(JSON.stringify(a.buildInfo()))`], {
    encoding: 'utf8',
  });
  if (r.signal) return { ok: false, error: `loading it killed the process (${r.signal})` };
  if (r.status !== 0) {
    // node prints the source line it failed at first, then `Error: <the dynamic loader's message>`.
    const lines = (r.stderr || '').split('\n');
    const error = lines.find((l) => /^\w*Error: /.test(l))?.replace(/^Error: /, '') ?? lines.filter(Boolean).pop() ?? `exit ${r.status}`;
    return { ok: false, error };
  }
  return { ok: true, info: JSON.parse(r.stdout) };
}

/** What to do about an addon that built but does not load with `error`: advice, without the rebuild that follows it. */
function loadAdvice(error) {
  if (/CXXABI|GLIBCXX|undefined symbol/.test(error)) {
    return "an ABI mismatch between your compiler and libtorch: build with the compiler libtorch was built for, or set DISTPROMPT_TORCH_DIR to pip's torch (C++11 ABI)";
  }
  return 'mend what it names (a library not found: set DISTPROMPT_TORCH_DIR to a complete libtorch 2.x)';
}

/** Whether a working addon from a finished build is there. */
const builtAddon = () => existsSync(addonPath) && !existsSync(unfinishedPath) && probeAddon().ok;

/** Whether `name` is an executable file: a path, or a name found on PATH. */
function onPath(name) {
  const executable = (p) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (name.includes('/')) return executable(name);
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && executable(join(d, name)));
}

/**
 * The C++ compiler CMake will take (CXX, whose first word it runs, else c++, g++ or clang++ on
 * PATH): a message when there is none, or when it is a g++ older than 10 (no C++20).
 */
function compilerProblem() {
  const cxx = process.env.CXX?.trim().split(/\s+/)[0];
  if (cxx && !onPath(cxx)) return `CXX=${process.env.CXX} names no executable compiler: set CXX to one (g++ 10 or newer), or unset it, ${THEN_REBUILD}`;
  const compiler = cxx || ['c++', 'g++', 'clang++'].find(onPath);
  if (!compiler) return `no C++ compiler was found on PATH (c++, g++, clang++): install g++ 10 or newer (Debian: apt install g++), ${THEN_REBUILD}`;
  const r = spawnSync(compiler, ['--version'], { encoding: 'utf8' });
  const gcc = /^(?:g\+\+|c\+\+).*?\s(\d+)\.\d+(?:\.\d+)?\s*$/m.exec((r.stdout || '').split('\n')[0]);
  if (gcc && /Free Software Foundation/.test(r.stdout) && Number(gcc[1]) < 10) {
    return `the C++ compiler ${compiler} is g++ ${gcc[1]}, older than 10 (distprompt is C++20): install g++ 10 or newer and set CXX to it, ${THEN_REBUILD}`;
  }
  return null;
}

/** The build knobs a user sets, checked: a message naming the first bad one, or null. Empty counts as unset. */
function knobProblem() {
  const { DISTPROMPT_BUILD_JOBS: jobs, DISTPROMPT_UNITY_BUILD: unity, DISTPROMPT_CUDA_ARCH: arch } = process.env;
  if (jobs && !/^[1-9]\d*$/.test(jobs)) return `DISTPROMPT_BUILD_JOBS='${jobs}' is not a whole number of compile jobs above 0: set it to one (e.g. 2), or unset it to use every core, ${THEN_REBUILD}`;
  // Only 1 is read as set: another value ('true', 'yes') would build, or let pip fetch libtorch, unasked.
  const { DISTPROMPT_SKIP_BUILD: skip, DISTPROMPT_NO_AUTO_TORCH: noAuto } = process.env;
  if (skip && skip !== '1') return `DISTPROMPT_SKIP_BUILD='${skip}' is not 1: set it to 1 to install without building the addon, or unset it, ${THEN_REBUILD}`;
  if (noAuto && noAuto !== '1') return `DISTPROMPT_NO_AUTO_TORCH='${noAuto}' is not 1: set it to 1 to be shown the commands to run by hand rather than pip installing torch, or unset it, ${THEN_REBUILD}`;
  if (unity && unity !== '0' && unity !== '1') return `DISTPROMPT_UNITY_BUILD='${unity}' is neither 0 (file by file) nor 1 (unity batches, the default): set it to one of them, or unset it, ${THEN_REBUILD}`;
  // CMAKE_CUDA_ARCHITECTURES: compute capabilities without the dot (90, 80;90, 90a, 86-real) or all, all-major, native.
  const one = '\\d+[af]?(-real|-virtual)?';
  if (arch && !new RegExp(`^(all|all-major|native|${one}(;${one})*)$`).test(arch)) {
    return `DISTPROMPT_CUDA_ARCH='${arch}' is not a list of CUDA architectures: write compute capabilities without the dot, ';' between them (90, or 80;90), or all, all-major, native; ${THEN_REBUILD}`;
  }
  return null;
}

/**
 * What the build needs besides libtorch, checked before libtorch is looked for (or fetched: minutes),
 * so that a missing tool or an unwritable build folder is named at once: a message, or null.
 */
function preflight() {
  const install = `install cmake 3.18 or newer (Debian: apt install cmake; or pip install cmake), ${THEN_REBUILD}`;
  const r = spawnSync('cmake', ['--version'], { encoding: 'utf8' });
  if (r.error) return `cmake was not found on PATH (${r.error.code}): ${install}`;
  const [major, minor] = (/cmake version (\d+)\.(\d+)/.exec(r.stdout) ?? []).slice(1).map(Number);
  if (!(major > 3 || (major === 3 && minor >= 18))) return `cmake on PATH is ${major}.${minor}, older than 3.18: ${install}`;
  try {
    mkdirSync(buildDir, { recursive: true });
    accessSync(buildDir, constants.W_OK);
  } catch (e) {
    const from = process.env.DISTPROMPT_BUILD_DIR ? 'DISTPROMPT_BUILD_DIR' : 'the package folder';
    return `the build folder ${buildDir} (${from}) cannot be written (${e.code}): make it writable or set DISTPROMPT_BUILD_DIR to a folder that is, ${THEN_REBUILD}`;
  }
  return knobProblem() ?? compilerProblem();
}

/**
 * Run cmake-js with `args`, its output passed on as it comes and its last 256 KiB kept, from which
 * a failure's cause is read: { status, signal, tail }.
 */
function runBuild(args) {
  return new Promise((done) => {
    let tail = '';
    const child = spawn(process.execPath, args, { stdio: ['inherit', 'pipe', 'pipe'], cwd: packageRoot });
    const keep = (to) => (chunk) => {
      to.write(chunk);
      tail = (tail + chunk.toString()).slice(-262_144);
    };
    child.stdout.on('data', keep(process.stdout));
    child.stderr.on('data', keep(process.stderr));
    child.on('close', (status, signal) => done({ status, signal, tail }));
  });
}

async function main() {
  if (process.env.DISTPROMPT_SKIP_BUILD === '1') {
    log('distprompt: DISTPROMPT_SKIP_BUILD=1, not building the native addon');
    return 0;
  }
  if (args.has('--if-missing') && builtAddon()) return 0;
  // `npm rebuild distprompt` (npm sets npm_command) is how a project that installed the package
  // rebuilds it, against another libtorch say: it rebuilds, as --force does here.
  const force = args.has('--force') || process.env.npm_command === 'rebuild';
  if (!force && !args.has('--if-missing') && builtAddon()) {
    log(`distprompt: addon already built at ${addonPath} (npm rebuild distprompt rebuilds it; in this repository: npm run build:native)`);
    return 0;
  }
  if (existsSync(unfinishedPath)) log(`distprompt: the last build in ${buildDir} did not finish, or its addon did not load; building again`);

  const unmet = preflight();
  if (unmet) {
    log(`distprompt: cannot build the native addon: ${unmet}`);
    return 1;
  }

  let torch = findTorch(log);
  const respec = torch?.source === 'private environment' ? privateSpecChange() : null;
  if (respec && process.env.DISTPROMPT_NO_AUTO_TORCH === '1') {
    log(
      `distprompt: DISTPROMPT_TORCH_SPEC=${respec.asked}, and ${privateEnv} was filled with ${respec.recorded ?? 'a torch whose spec was not recorded'}; ` +
        'DISTPROMPT_NO_AUTO_TORCH=1 keeps pip from installing it: unset DISTPROMPT_NO_AUTO_TORCH, or unset DISTPROMPT_TORCH_SPEC to build ' +
        `against the torch there, ${THEN_REBUILD}`,
    );
    return 1;
  }
  if (!torch || respec) {
    if (!torch && process.env.DISTPROMPT_NO_AUTO_TORCH === '1') {
      log('distprompt: no libtorch 2.x found and DISTPROMPT_NO_AUTO_TORCH=1. Install it with:');
      for (const c of manualCommands()) log(`  ${c}`);
      log('or point DISTPROMPT_TORCH_DIR at an existing libtorch 2.x.');
      return 1;
    }
    torch = await installPrivateTorch(log, respec);
  }
  log(`distprompt: using libtorch ${torch.version} from ${torch.source}: ${torch.torchDir}`);

  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  // `build`, not `compile`: where a build fails, cmake-js's compile removes the whole build folder
  // (`cmake -E remove_directory`: a DISTPROMPT_BUILD_DIR's other files with it) and builds again from
  // nothing, the same failure a second time. `build` configures a folder without a cache, as every
  // build's is (below).
  const cmakeArgs = [cmakeJs, 'build', '--directory', packageRoot, '--out', buildDir, `--CDTorch_DIR=${torch.torchDir}`];
  if (process.env.DISTPROMPT_CUDA_ARCH) cmakeArgs.push(`--CDCMAKE_CUDA_ARCHITECTURES=${process.env.DISTPROMPT_CUDA_ARCH}`);
  const jobs = process.env.DISTPROMPT_BUILD_JOBS;
  if (jobs) cmakeArgs.push('--parallel', jobs);
  // A fresh configure every build: cmake-js configures only a folder without a cache, so a rebuild
  // against another libtorch (a CUDA one installed since, say) kept the old one, and new build
  // settings (DISTPROMPT_CUDA_ARCH, DISTPROMPT_BUILD_JOBS, DISTPROMPT_UNITY_BUILD) were ignored.
  // Object files whose compile commands are unchanged are still reused.
  rmSync(join(buildDir, 'CMakeCache.txt'), { force: true });
  mkdirSync(join(buildDir, 'Release'), { recursive: true });
  writeFileSync(unfinishedPath, `a build of ${addonPath} started at ${new Date().toISOString()} and has not finished\n`);
  const r = await runBuild(cmakeArgs);
  if (r.status !== 0) {
    const cause = r.signal ? null : buildFailureCause(r.tail, torch.torchDir);
    if (cause) {
      log(`\ndistprompt: the native build failed: ${cause}`);
      return 1;
    }
    log(`\ndistprompt: the native build failed (${r.signal ? `stopped by ${r.signal}` : 'its output is above'}). Common causes:`);
    log('  - a C++ compiler without C++20: install g++ 10 or newer and set CXX to it');
    log(`  - a libtorch that is not a complete 2.x: set DISTPROMPT_TORCH_DIR to one (used: ${torch.torchDir})`);
    log('  - too little memory for the compile jobs: set DISTPROMPT_BUILD_JOBS=1');
    return 1;
  }
  const probe = probeAddon();
  if (!probe.ok) {
    const advice = loadAdvice(probe.error);
    writeFileSync(unfinishedPath, `${JSON.stringify({ loadError: probe.error, advice })}\n`);
    log(`distprompt: the addon built but does not load (${probe.error}): ${advice}, ${THEN_REBUILD}`);
    return 1;
  }
  const i = probe.info;
  writeFileSync(join(buildDir, 'torch.json'), JSON.stringify({ ...torch, built: new Date().toISOString() }, null, 2));
  rmSync(unfinishedPath, { force: true });
  log(
    `distprompt: built against libtorch ${i.torchVersion} at ${i.torchPrefix}; CUDA ${i.cudaBuild ? 'yes' : 'no'}; ` +
      `${i.threads} threads; MKL ${i.mkl ? 'yes' : 'no'}`,
  );
  return 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  log(`distprompt: ${e.message}`);
  process.exitCode = 1;
}
