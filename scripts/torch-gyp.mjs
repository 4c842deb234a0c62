#!/usr/bin/env node
// Prints what binding.gyp needs to know about libtorch (node-gyp's `<!(...)` expansions):
//   prefix | includes | libdir | abi
// using the same discovery order as the cmake-js build (scripts/torch-locate.mjs).
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findTorch } from './torch-locate.mjs';

let torch;
try {
  torch = findTorch(() => {});
} catch (e) {
  // A variable naming no usable libtorch or Python: its one line, not a stack inside node-gyp's output.
  console.error(`distprompt: ${e.message}`);
  process.exit(1);
}
if (!torch) {
  console.error('distprompt: no libtorch 2.x found for node-gyp; run `npm run build:native` first or set DISTPROMPT_TORCH_DIR');
  process.exit(1);
}
// torchDir is <prefix>/share/cmake/Torch. Its real path: scripts/build-gyp.mjs builds in a scratch copy
// whose .distprompt-torch is a link, removed after the build, and the addon's rpath must outlive it.
const prefix = realpathSync(resolve(dirname(torch.torchDir), '..', '..'));
const what = process.argv[2];
if (what === 'prefix') console.log(prefix);
else if (what === 'includes') console.log([join(prefix, 'include'), join(prefix, 'include', 'torch', 'csrc', 'api', 'include')].join(' '));
else if (what === 'libdir') console.log(join(prefix, 'lib'));
else if (what === 'abi') {
  // pip wheels since 2.x use the C++11 ABI; ask the Python that owns them when there is one.
  const r = torch.python
    ? spawnSync(torch.python, ['-c', 'import torch;print(int(torch.compiled_with_cxx11_abi()))'], { encoding: 'utf8' })
    : undefined;
  console.log(r?.status === 0 ? r.stdout.trim() : '1');
} else {
  console.error('usage: torch-gyp.mjs prefix|includes|libdir|abi');
  process.exit(2);
}
