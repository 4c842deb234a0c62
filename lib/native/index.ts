// The only place that touches the .node binary. It finds the addon, loads it, and turns the
// usual load failures into advice (sharp's lib/sharp.mjs pattern). Every native export is
// typed in the types-*.ts files beside this one, one per native area.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, markAsUntransferable } from 'node:worker_threads';

import { debugSwitch, readSwitch } from '../io/env-switch.js';
import { NativeError } from './errors.js';
import type { ModelAddon } from './types-model.js';
import type { KernelAddon } from './types-kernels.js';
import type { TargetAddon } from './types-targets.js';
import type { TunerAddon } from './types-tuner.js';
import type { BoundAddon } from './types-bound.js';
import { addonFileProblem } from './addon-file.js';

export type Addon = ModelAddon & KernelAddon & TargetAddon & TunerAddon & BoundAddon;

const here = dirname(fileURLToPath(import.meta.url));
/** Package root: dist/lib/native -> ../../..; lib/native (vitest on sources) -> ../.. */
export const packageRoot = [resolve(here, '..', '..', '..'), resolve(here, '..', '..')].find((p) =>
  existsSync(join(p, 'package.json')),
)!;

export function addonPath(): string {
  if (process.env.DISTPROMPT_ADDON) return resolve(process.env.DISTPROMPT_ADDON);
  // A relative DISTPROMPT_BUILD_DIR is the package folder's, as scripts/install.mjs builds there.
  const buildDir = resolve(packageRoot, process.env.DISTPROMPT_BUILD_DIR || 'build');
  return join(buildDir, 'Release', 'distprompt.node');
}

/** How a user rebuilds the addon: a project that installed the package, or this repository. */
const REBUILD = '`npm rebuild distprompt` (in this repository: `npm run build:native`)';

/** Advice for an addon file that the dynamic loader refused. */
function advice(path: string, message: string): string {
  const lines = [`could not load the native addon at ${path}`, `  ${message.split('\n')[0]}`];
  if (/libtorch|libc10|libtorch_cpu|libtorch_cuda/.test(message)) {
    lines.push(`  The libtorch it was built against has moved or been removed. Rebuild: ${REBUILD},`);
    lines.push('  or set DISTPROMPT_TORCH_DIR to the libtorch you want and rebuild.');
  } else if (/CXXABI|GLIBCXX|undefined symbol/.test(message)) {
    lines.push(`  ABI mismatch between the addon, libtorch and this machine's C++ runtime: rebuild with ${REBUILD}.`);
  } else if (/NODE_MODULE_VERSION|napi/i.test(message)) {
    lines.push(`  Built for another Node.js: rebuild with ${REBUILD}.`);
  }
  return lines.join('\n');
}

/**
 * DISTPROMPT_THREADS, applied once as the addon loads: a value that is not a whole number is
 * refused before the load, one the addon refuses (above its cap) by it. Empty counts as unset.
 */
function checkThreadsEnv(): void {
  const value = process.env.DISTPROMPT_THREADS;
  if (value && !/^\s*[1-9]\d*\s*$/.test(value))
    throw new NativeError(
      `DISTPROMPT_THREADS='${value}' is not a whole number of threads above 0: set it to one (e.g. 4), or unset it to use every core this process may use`,
    );
}

/** The most MiB a memory variable may name: 2^53 bytes, as setCpuMemoryLimit takes them. */
const MAX_MIB = 2 ** 33;

/**
 * DISTPROMPT_CPU_MEMORY_MB and DISTPROMPT_CPU_CACHE_MB, which the addon reads as it loads: it
 * reads a value that is not a whole number ('4GB', '-1', empty) as 0 (no cap; no cache) without a
 * word, so such a value is refused here, before the load.
 */
function checkMemoryEnv(): void {
  for (const [name, zero] of [
    ['DISTPROMPT_CPU_MEMORY_MB', 'no cap'],
    ['DISTPROMPT_CPU_CACHE_MB', 'caching off'],
  ]) {
    const value = process.env[name];
    if (value !== undefined && !(/^\s*\d+\s*$/.test(value) && Number(value) <= MAX_MIB))
      throw new NativeError(
        `${name}='${value}' is not a whole number of MiB from 0 (${zero}) to ${MAX_MIB}: set it to one (e.g. 4096), or unset it`,
      );
  }
}

/**
 * The switches (lib/io/env-switch.ts): DISTPROMPT_NO_AVX2, which the addon reads as set whatever
 * its value ('0' would run the baseline KL kernel too, where it reads as the AVX2 one), and
 * DISTPROMPT_DEBUG, refused here too so that a library caller hears of a value the CLI refuses.
 */
function checkSwitchEnv(): void {
  const noAvx2 = readSwitch('DISTPROMPT_NO_AVX2', process.env.DISTPROMPT_NO_AVX2, {
    on: 'run the baseline CPU KL kernel',
    off: 'run the AVX2 one',
  });
  for (const { refused } of [noAvx2, debugSwitch()]) if (refused) throw new NativeError(refused);
}

function applyThreadsEnv(addon: Addon): void {
  const value = process.env.DISTPROMPT_THREADS;
  if (!value) return;
  try {
    addon.setThreads(Number(value));
  } catch (e) {
    throw new NativeError(
      `DISTPROMPT_THREADS='${value}' is refused (${(e as Error).message}): set it to fewer, or unset it to use every core this process may use`,
    );
  }
}

let cached: Addon | undefined;

/** Load (once) and return the native addon; throws an Error with advice when it cannot. */
export function native(): Addon {
  if (cached) return cached;
  checkThreadsEnv();
  checkMemoryEnv();
  checkSwitchEnv();
  const path = addonPath();
  const fromEnv = Boolean(process.env.DISTPROMPT_ADDON);
  const problem = addonFileProblem(path, fromEnv, REBUILD);
  // A file the user named that is no addon is theirs to change (exit 2, as a bad DISTPROMPT_THREADS
  // is); the build folder's missing or broken addon is a fault of the install (exit 1).
  if (problem) {
    const message = `could not load the native addon at ${path}\n  ${problem}`;
    throw fromEnv ? new NativeError(message) : new Error(message);
  }
  // process.dlopen, not require: require runs a file not named .node as JavaScript.
  const module = { exports: {} as Addon };
  let loaded: Addon;
  try {
    process.dlopen(module, path);
    loaded = module.exports;
  } catch (e) {
    throw new Error(advice(path, (e as Error).message));
  }
  applyThreadsEnv(loaded);
  // process.exit() and an uncaught exception wait for the calls still on libuv's pool: stopped
  // here, a tune or head bound then ends within one epoch or pass instead of running to its end.
  // The main thread's exit ends the worker threads too, so it stops theirs as well.
  const addon = loaded;
  process.once('exit', () => addon.exiting(isMainThread));
  // uploadTensor copies the array on the pool, from its memory as it was when called: an array
  // transferred meanwhile (postMessage, structuredClone) had that memory freed under the copy,
  // and the process died of a segmentation fault. Marked untransferable, it is copied instead.
  const upload = addon.uploadTensor.bind(addon);
  addon.uploadTensor = (a) => {
    if (a?.data instanceof Float32Array) markAsUntransferable(a.data.buffer);
    return upload(a);
  };
  return (cached = addon);
}
