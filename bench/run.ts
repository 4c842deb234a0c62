// `npm run bench`: every benchmark in one run, each a separate process so that one's memory
// (and allocator caches) do not colour another's figures. Flags (node dist/bench/run.js --help)
// but --only are passed on to every suite, --dtype to those that read it; the caller's win over
// the per-suite ones below.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { args, DEVICE, DTYPE, OUT_DIR, QUICK } from './flags.js';

const a = args('run.js', {
  ...DEVICE,
  '--dtype': {
    ...DTYPE['--dtype'],
    default: undefined,
    otherwise: "each suite's",
    about: "the weights' dtype, in the suites that read it",
  },
  ...QUICK,
  ...OUT_DIR,
  '--only': { takes: 'list', default: '', about: 'just these suites (by name or file)' },
  '--dry-run': { about: "print each suite's command instead of running it" },
});
const device = a.text('--device');
const quick = a.has('--quick');
const only = a.list('--only');
const cpu = device === 'cpu';
const bf16 = ['--dtype', 'bfloat16'];

/** `dtype: false`: the suite reads no --dtype (float32 throughout). */
const suites: { name: string; file: string; args: string[]; dtype?: false }[] = [
  { name: 'kernels', file: 'kernels', args: [], dtype: false },
  { name: 'targets', file: 'targets', args: [], dtype: false },
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

const unknown = only.filter((o) => !suites.some((s) => s.file === o || s.name === o));
if (unknown.length)
  a.refuse(
    `--only '${unknown.join(',')}': no such suite (the suites: ${[...new Set(suites.flatMap((s) => [s.file, s.name]))].join(', ')})`,
  );

/** The caller's flags (--only excepted), then the suite's own where the caller did not give them. */
function suiteArgs(s: (typeof suites)[number]): string[] {
  const passed: ('--device' | '--out-dir' | '--dtype')[] = ['--device', '--out-dir'];
  if (s.dtype !== false) passed.push('--dtype');
  const given: string[] = passed.filter((f) => a.has(f));
  const own: string[] = [];
  for (let i = 0; i < s.args.length; i += 2) if (!given.includes(s.args[i])) own.push(s.args[i], s.args[i + 1]);
  return [...passed.flatMap((f) => (a.has(f) ? [f, a.text(f)] : [])), ...(quick ? ['--quick'] : []), ...own];
}

const chosen = suites.filter((s) => !only.length || only.includes(s.file) || only.includes(s.name));
if (a.has('--dry-run')) {
  for (const s of chosen) console.log(['node', `dist/bench/${s.file}.js`, ...suiteArgs(s)].join(' '));
  process.exit(0);
}
const summary: string[] = [];
let failed = 0;
for (const s of chosen) {
  console.log(`\n## ${s.name}\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(import.meta.dirname, `${s.file}.js`), ...suiteArgs(s)], {
    stdio: 'inherit',
  });
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  if (r.status !== 0) failed++;
  summary.push(`| ${s.name} | ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} | ${secs} s |`);
}
console.log(['', '## summary', '', '| suite | status | time |', '|---|---|---|', ...summary].join('\n'));
process.exitCode = failed ? 1 : 0;
