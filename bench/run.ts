// `npm run bench`: every benchmark in one run, each a separate process so that one's memory
// (and allocator caches) do not colour another's figures. Flags are passed on to every suite:
//   --device cuda   the GPU figures (the big presets in bfloat16)
//   --quick         a smoke run: the whole suite in a few minutes on 2 CPU cores
//   --out-dir DIR   where the JSON goes (default bench/results; use /tmp for smoke runs)
//   --only a,b      just these suites (kernels, targets, tune, scaling, graph, positional, stalled, bound, python)
// The caller's flags come first, so they win over the per-suite defaults below.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { args } from './common.js';

const extra = process.argv.slice(2);
const a = args(extra);
const device = a.get('--device', 'cpu');
const quick = a.has('--quick');
const only = a.list('--only', '');
const cpu = device === 'cpu';
const bf16 = ['--dtype', 'bfloat16'];

const suites: { name: string; file: string; args: string[] }[] = [
  { name: 'kernels', file: 'kernels', args: [] },
  { name: 'targets', file: 'targets', args: [] },
  // Against model size.
  {
    name: 'tune',
    file: 'tune',
    args: cpu
      ? []
      : ['--models', quick ? 'random:llama-3.2-1b' : 'random:llama-3.2-1b,random:llama-3-8b,random:falcon-7b', ...bf16],
  },
  // Against batch size, prompt length, vocabulary.
  {
    name: 'scaling',
    file: 'scaling',
    args: cpu ? [] : ['--models', quick ? 'random:demo' : 'random:gpt2,random:llama-3.2-1b', ...bf16],
  },
  // CUDA graph replay against eager epochs (on the CPU: the fixed-shape epoch, uncaptured).
  {
    name: 'graph',
    file: 'graph',
    args: cpu
      ? ['--batches', quick ? '16' : '16,64']
      : quick
        ? ['--models', 'random:gpt2', '--batches', '16', ...bf16]
        : bf16,
  },
  // Hard and hybrid epochs: the prefix cache against the plain epoch (FLOPs saved, speed ratio).
  {
    name: 'positional',
    file: 'positional',
    args: cpu
      ? ['--models', quick ? 'random:tiny-gpt2' : 'random:tiny-gpt2,random:gpt2', '--rows', '8', '--epochs', '2']
      : ['--models', quick ? 'random:gpt2' : 'random:gpt2,random:llama-3.2-1b', ...bf16],
  },
  // Stalled hard rows stopped against run on to patience: row-epochs and seconds saved.
  {
    name: 'stalled',
    file: 'stalled',
    args: cpu ? [] : ['--models', quick ? 'random:gpt2' : 'random:gpt2,random:llama-3.2-1b', ...bf16],
  },
  // The head bound's seconds against the sweep it belongs to.
  { name: 'bound', file: 'bound', args: [] },
  // The Python loop on the same weights: a small preset, then GPT-2-sized weights (CPU) or Llama-3.2-1B (CUDA).
  { name: 'python tiny-gpt2', file: 'python', args: ['--preset', 'tiny-gpt2'] },
  cpu
    ? {
        name: 'python gpt2',
        file: 'python',
        args: [
          '--preset',
          'gpt2',
          ...(quick
            ? ['--python-rows', '1', '--steps', '5', '--rows', '8']
            : ['--python-rows', '2', '--steps', '20', '--rows', '32']),
        ],
      }
    : {
        name: 'python llama-3.2-1b',
        file: 'python',
        args: quick
          ? ['--preset', 'tiny-llama3', ...bf16]
          : ['--preset', 'llama-3.2-1b', ...bf16, '--python-rows', '2', '--rows', '512', '--steps', '20'],
      },
];

const summary: string[] = [];
let failed = 0;
for (const s of suites) {
  if (only.length && !only.includes(s.file) && !only.includes(s.name)) continue;
  console.log(`\n## ${s.name}\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(import.meta.dirname, `${s.file}.js`), ...extra, ...s.args], {
    stdio: 'inherit',
  });
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  if (r.status !== 0) failed++;
  summary.push(`| ${s.name} | ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} | ${secs} s |`);
}
console.log(['', '## summary', '', '| suite | status | time |', '|---|---|---|', ...summary].join('\n'));
process.exitCode = failed ? 1 : 0;
