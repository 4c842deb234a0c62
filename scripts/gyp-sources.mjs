#!/usr/bin/env node
// The native sources for binding.gyp, printed one per line. As in CMakeLists.txt, they are
// compiled in unity batches, one per build job, since nearly all of each file's compile time is
// parsing <torch/torch.h>: the batch files are written under build/unity-gyp and named here.
// DISTPROMPT_UNITY_BUILD=0 names the sources themselves.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const DIRS = ['addon', 'model', 'kernels', 'tune', 'targets', 'bound'];
// Compiled alone: its instruction set and macros are its own (see CMakeLists.txt).
const ALONE = new Set(['kernels/kl_cpu_avx2.cc']);

const sources = DIRS.flatMap((d) =>
  readdirSync(join('native', d))
    .filter((f) => f.endsWith('.cc'))
    .sort()
    .map((f) => `${d}/${f}`),
);
if (process.env.DISTPROMPT_UNITY_BUILD === '0') {
  for (const s of sources) console.log(`native/${s}`);
} else {
  const asked = process.env.DISTPROMPT_BUILD_JOBS;
  const jobs = asked && /^[1-9]\d*$/.test(asked) ? Number(asked) : availableParallelism();
  const batched = sources.filter((s) => !ALONE.has(s));
  const size = Math.ceil(batched.length / jobs);
  const dir = join('build', 'unity-gyp');
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i * size < batched.length; i++) {
    const file = join(dir, `unity_${i}.cc`);
    // Included through the `native` include folder, as the sources include each other.
    const lines = batched.slice(i * size, (i + 1) * size).map((s) => `#include "${s}"`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    console.log(file);
  }
  for (const s of sources.filter((x) => ALONE.has(x))) console.log(`native/${s}`);
}
