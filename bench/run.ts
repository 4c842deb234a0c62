// `npm run bench`: every benchmark in one run (each a separate process, so one's memory does
// not colour another's figures). --quick for a smoke run; --device cuda for the GPU figures.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const extra = process.argv.slice(2);
const here = import.meta.dirname;
const device = extra.includes('--device') ? extra[extra.indexOf('--device') + 1] : 'cpu';
const suites: [string, string[]][] = [
  ['kernels', []],
  ['targets', []],
  ['tune', device === 'cpu' ? [] : ['--models', 'random:llama-3.2-1b,random:llama-3-8b,random:falcon-7b', '--dtype', 'bfloat16']],
  ['python', device === 'cpu' ? [] : ['--preset', 'llama-3.2-1b']],
];
let failed = 0;
for (const [name, args] of suites) {
  console.log(`\n## ${name}\n`);
  const r = spawnSync(process.execPath, [join(here, `${name}.js`), ...args, ...extra], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench ${name} failed (exit ${r.status})`);
  }
}
process.exitCode = failed ? 1 : 0;
