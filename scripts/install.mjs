#!/usr/bin/env node
// `npm install` entry: find (or fetch, through pip) libtorch 2.x, build the addon with cmake-js,
// then load it in a child process and say what was built. Flags:
//   --if-missing   do nothing when a working addon is already built (used by `npm test`)
//   --force        rebuild even if an addon exists (as `npm rebuild distprompt` does)
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { findTorch, installPrivateTorch, manualCommands, packageRoot } from './torch-locate.mjs';

const require = createRequire(import.meta.url);
const log = (m) => console.error(m);
const args = new Set(process.argv.slice(2));
const buildDir = process.env.DISTPROMPT_BUILD_DIR || join(packageRoot, 'build');
const addonPath = join(buildDir, 'Release', 'distprompt.node');

function probeAddon() {
  // In a child process: a broken binary (ABI mismatch, missing libtorch) must not take us down.
  const r = spawnSync(process.execPath, ['-e', `const a=require(${JSON.stringify(addonPath)});console.log(JSON.stringify(a.buildInfo()))`], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return { ok: false, error: (r.stderr || '').split('\n').slice(0, 6).join('\n') };
  return { ok: true, info: JSON.parse(r.stdout) };
}

/**
 * What the build needs besides libtorch, checked before libtorch is looked for (or fetched: minutes),
 * so that a missing tool or an unwritable build folder is named at once: a message, or null.
 */
function preflight() {
  const rerun = 'then run `npm rebuild distprompt` (in this repository: `npm run build:native`)';
  const install = `install cmake 3.18 or newer (Debian: apt install cmake; or pip install cmake), ${rerun}`;
  const r = spawnSync('cmake', ['--version'], { encoding: 'utf8' });
  if (r.error) return `cmake was not found on PATH (${r.error.code}): ${install}`;
  const [major, minor] = (/cmake version (\d+)\.(\d+)/.exec(r.stdout) ?? []).slice(1).map(Number);
  if (!(major > 3 || (major === 3 && minor >= 18))) return `cmake on PATH is ${major}.${minor}, older than 3.18: ${install}`;
  try {
    mkdirSync(buildDir, { recursive: true });
    accessSync(buildDir, constants.W_OK);
  } catch (e) {
    const from = process.env.DISTPROMPT_BUILD_DIR ? 'DISTPROMPT_BUILD_DIR' : 'the package folder';
    return `the build folder ${buildDir} (${from}) cannot be written (${e.code}): make it writable or set DISTPROMPT_BUILD_DIR to a folder that is, ${rerun}`;
  }
  return null;
}

function main() {
  if (process.env.DISTPROMPT_SKIP_BUILD === '1') {
    log('distprompt: DISTPROMPT_SKIP_BUILD=1, not building the native addon');
    return 0;
  }
  if (args.has('--if-missing') && existsSync(addonPath) && probeAddon().ok) return 0;
  // `npm rebuild distprompt` (npm sets npm_command) is how a project that installed the package
  // rebuilds it, against another libtorch say: it rebuilds, as --force does here.
  const force = args.has('--force') || process.env.npm_command === 'rebuild';
  if (!force && !args.has('--if-missing') && existsSync(addonPath) && probeAddon().ok) {
    log(`distprompt: addon already built at ${addonPath} (npm rebuild distprompt rebuilds it; in this repository: npm run build:native)`);
    return 0;
  }

  const unmet = preflight();
  if (unmet) {
    log(`distprompt: cannot build the native addon: ${unmet}`);
    return 1;
  }

  let torch = findTorch(log);
  if (!torch) {
    if (process.env.DISTPROMPT_NO_AUTO_TORCH === '1') {
      log('distprompt: no libtorch 2.x found and DISTPROMPT_NO_AUTO_TORCH=1. Install it with:');
      for (const c of manualCommands()) log(`  ${c}`);
      log('or point DISTPROMPT_TORCH_DIR at an existing libtorch 2.x.');
      return 1;
    }
    torch = installPrivateTorch(log);
  }
  log(`distprompt: using libtorch ${torch.version} from ${torch.source}: ${torch.torchDir}`);

  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const cmakeArgs = [cmakeJs, 'compile', '--directory', packageRoot, '--out', buildDir, `--CDTorch_DIR=${torch.torchDir}`];
  if (process.env.DISTPROMPT_CUDA_ARCH) cmakeArgs.push(`--CDCMAKE_CUDA_ARCHITECTURES=${process.env.DISTPROMPT_CUDA_ARCH}`);
  const jobs = process.env.DISTPROMPT_BUILD_JOBS;
  if (jobs) cmakeArgs.push('--parallel', jobs);
  // A fresh configure every build: cmake-js configures only a folder without a cache, so a rebuild
  // against another libtorch (a CUDA one installed since, say) kept the old one, and new build
  // settings (DISTPROMPT_CUDA_ARCH, DISTPROMPT_BUILD_JOBS, DISTPROMPT_UNITY_BUILD) were ignored.
  // Object files whose compile commands are unchanged are still reused.
  rmSync(join(buildDir, 'CMakeCache.txt'), { force: true });
  const r = spawnSync(process.execPath, cmakeArgs, { stdio: 'inherit', cwd: packageRoot });
  if (r.status !== 0) {
    log('\ndistprompt: the native build failed (output above). Common causes:');
    log('  - no C++20 compiler: install g++ 10 or newer (Debian: apt install g++ cmake)');
    log('  - cmake older than 3.18: install a newer cmake (pip install cmake)');
    log(`  - a libtorch that is not 2.x: set DISTPROMPT_TORCH_DIR (found: ${torch.torchDir})`);
    return 1;
  }
  const probe = probeAddon();
  if (!probe.ok) {
    log(`distprompt: the addon built but does not load:\n${probe.error}`);
    if (/CXXABI|GLIBCXX|undefined symbol/.test(probe.error)) {
      log('  This is an ABI mismatch between your compiler and libtorch. Build with the compiler libtorch was built for,');
      log('  or use pip\'s torch (cxx11 ABI) through DISTPROMPT_TORCH_DIR.');
    }
    return 1;
  }
  const i = probe.info;
  writeFileSync(join(buildDir, 'torch.json'), JSON.stringify({ ...torch, built: new Date().toISOString() }, null, 2));
  log(
    `distprompt: built against libtorch ${i.torchVersion} at ${i.torchPrefix}; CUDA ${i.cudaBuild ? 'yes' : 'no'}; ` +
      `${i.threads} threads; MKL ${i.mkl ? 'yes' : 'no'}`,
  );
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  log(`distprompt: ${e.message}`);
  process.exitCode = 1;
}
