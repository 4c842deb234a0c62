// The command line without its addon (an install whose build failed, a moved checkout): one
// line that says what is missing, then what to do, with the program's name said once.
// A broken install exits 1; a DISTPROMPT_ADDON naming no addon is the user's to change, exit 2.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { runCli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('addon-missing');
const built = join(import.meta.dirname, '..', 'build', 'Release', 'distprompt.node');

it('names the addon it looked for and how to build it', () => {
  const buildDir = join(dir, 'never-built');
  const r = runCli(['info'], dir, { env: { DISTPROMPT_BUILD_DIR: buildDir } });
  expect(r.status).toBe(1);
  const path = join(buildDir, 'Release', 'distprompt.node');
  expect(r.stderr.split('\n')[0]).toBe(`distprompt: could not load the native addon at ${path}`);
  expect(r.stderr).toContain('It has not been built. Run `npm rebuild distprompt`');
});

it('a DISTPROMPT_ADDON that names no file: says so of the variable, not "not built"', () => {
  const missing = join(dir, 'nowhere', 'distprompt.node');
  const r = runCli(['info'], dir, { env: { DISTPROMPT_ADDON: missing } });
  expect(r.status).toBe(2);
  expect(r.stderr.split('\n')[0]).toBe(`distprompt: could not load the native addon at ${missing}`);
  expect(r.stderr).toContain(
    'DISTPROMPT_ADDON names a file that does not exist: point it at a built distprompt.node, or unset it',
  );
});

// require() ran a DISTPROMPT_ADDON not named .node as JavaScript: a text file's words became a
// ReferenceError ("hi is not defined"), and a script would have run.
it('a DISTPROMPT_ADDON that is a script is not run', () => {
  const script = join(dir, 'addon.js');
  const ran = join(dir, 'ran');
  writeFileSync(script, `require('fs').writeFileSync(${JSON.stringify(ran)}, 'ran')\n`);
  const r = runCli(['info'], dir, { env: { DISTPROMPT_ADDON: script } });
  expect(r.status).toBe(2);
  expect(existsSync(ran)).toBe(false);
  expect(r.stderr).toContain('It is not a native addon (not an ELF shared library)');
});

// A link killed half-way leaves the addon cut short; loading it killed the process with SIGBUS.
it.runIf(process.platform === 'linux')('an addon cut short is named as such, not loaded', () => {
  const short = join(dir, 'short.node');
  writeFileSync(short, readFileSync(built).subarray(0, 100_000));
  const r = runCli(['info'], dir, { env: { DISTPROMPT_ADDON: short } });
  expect(r.signal).toBeNull();
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/It is cut short \(100000 of at least \d+ bytes\), as a build stopped half-way leaves it/);
});

// A rebuild stopped half-way left the addon of the build before it, which was then loaded.
it('an addon whose rebuild did not finish is not loaded', () => {
  const buildDir = join(dir, 'stopped');
  mkdirSync(join(buildDir, 'Release'), { recursive: true });
  const path = join(buildDir, 'Release', 'distprompt.node');
  copyFileSync(built, path);
  writeFileSync(`${path}.unfinished`, 'a build started and has not finished\n');
  const r = runCli(['info'], dir, { env: { DISTPROMPT_BUILD_DIR: buildDir } });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(
    'The last build of it did not finish (stopped or failed), so this one may be older or partial',
  );
  expect(runCli(['info'], dir, { env: { DISTPROMPT_ADDON: built } }).status).toBe(0);
});

it('names a file that is not an addon', () => {
  const bogus = join(dir, 'bogus.node');
  writeFileSync(bogus, 'not a shared object');
  const r = runCli(['info', '--model', 'random:micro'], dir, { env: { DISTPROMPT_ADDON: bogus } });
  expect(r.status).toBe(2);
  expect(r.stderr.split('\n')[0]).toBe(`distprompt: could not load the native addon at ${bogus}`);
  expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
});

// The loader took a relative DISTPROMPT_BUILD_DIR from the working folder, the install from the
// package folder: a command run anywhere else did not find the addon the install had built.
it('a relative DISTPROMPT_BUILD_DIR is looked for in the package folder, wherever the command runs', () => {
  const r = runCli(['info'], dir, { env: { DISTPROMPT_BUILD_DIR: 'build' } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
