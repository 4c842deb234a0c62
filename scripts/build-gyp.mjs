#!/usr/bin/env node
// Builds the same native sources with node-gyp (CPU libtorch) into build-gyp/, then loads the
// result in a child process. CI runs it so that binding.gyp cannot rot. node-gyp always writes
// ./build, where cmake-js's build lives, so it runs in a scratch copy of the sources.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageRoot } from './torch-locate.mjs';

const require = createRequire(import.meta.url);
const gyp = require.resolve('node-gyp/bin/node-gyp.js');
const scratch = mkdtempSync(join(tmpdir(), 'distprompt-gyp-'));
for (const p of ['package.json', 'binding.gyp', 'native', 'scripts']) cpSync(join(packageRoot, p), join(scratch, p), { recursive: true });
symlinkSync(join(packageRoot, 'node_modules'), join(scratch, 'node_modules'));
// The copied scripts must still find the project's private torch environment.
symlinkSync(join(packageRoot, '.distprompt-torch'), join(scratch, '.distprompt-torch'));
// Build against this Node's own headers when they are installed (no header download: the
// machines we build on reach only the npm registry).
const nodePrefix = join(dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir || (existsSync(join(nodePrefix, 'include', 'node', 'node.h')) ? nodePrefix : undefined);
const args = [gyp, 'rebuild', `--jobs=${process.env.DISTPROMPT_BUILD_JOBS ?? 'max'}`, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: scratch });
if (r.status !== 0) process.exit(r.status ?? 1);
const out = join(packageRoot, 'build-gyp', 'Release');
mkdirSync(out, { recursive: true });
cpSync(join(scratch, 'build', 'Release', 'distprompt.node'), join(out, 'distprompt.node'));
rmSync(scratch, { recursive: true, force: true });
const probe = spawnSync(process.execPath, ['-e', `const a=require(${JSON.stringify(join(out, 'distprompt.node'))});console.log(a.buildInfo().torchVersion)`], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error(`distprompt: the node-gyp build does not load:\n${probe.stderr}`);
  process.exit(1);
}
console.error(`distprompt: node-gyp build OK (libtorch ${probe.stdout.trim()}) at ${out}`);
