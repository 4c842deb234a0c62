// Targets per second at V = 128256 (--vocab): vanilla by Eq. 1 (gradient) and by temperature, and
// outlier. --paper: the study's grids instead, every 0.05 bits from 0 to log2 V (vanilla) and
// every 0.2 bits from 4 to 12 (outlier, k = 1), the batches a sweep makes.
import type { SynthesisRequest } from '../lib/targets/index.js';
import { synthesizeTargets } from '../lib/targets/index.js';
import { deviceTag, save } from './common.js';
import { args, DEVICE, OUT_DIR, QUICK } from './flags.js';

const a = args('targets.js', {
  ...DEVICE,
  // --quick: a handful (outlier targets by gradient take seconds each at this vocabulary on 2 cores).
  '--count': {
    takes: 'number',
    default: 64,
    quick: 4,
    needs: { '--paper': false },
    about: 'targets of each kind, spread over 0.5 .. 16.9 bits',
  },
  '--vocab': { takes: 'number', default: 128256, about: 'the vocabulary' },
  '--paper': { about: "the study's grids instead of --count" },
  ...QUICK,
  ...OUT_DIR,
});
const device = a.text('--device');
const paper = a.has('--paper');
const count = a.num('--count');
const V = a.num('--vocab');
const spread = Array.from({ length: count }, (_, i) => (0.5 + (i * 16) / count) % 16.9);
const [vanillaGrid, outlierGrid] = paper ? ['0:max:0.05', '4:12:0.2'] : [spread, spread.map((h) => Math.max(1, h))];
const label = (g: unknown) => (typeof g === 'string' ? g : `${count} spread`);
const rows: Record<string, unknown>[] = [];
const table = [
  '| kind | method | grid | targets | seconds | targets/s | iterations: slowest row | all rows | batch × slowest / all |',
  '|---|---|---|---|---|---|---|---|---|',
];
for (const [method, request] of [
  ['temperature', { kind: 'vanilla', entropyBits: vanillaGrid, method: 'temperature', seed: 1 }],
  ['gradient', { kind: 'vanilla', entropyBits: vanillaGrid, method: 'gradient', seed: 1 }],
  ['gradient', { kind: 'outlier', entropyBits: outlierGrid, outliers: 1, seed: 1 }],
] as [string, SynthesisRequest & { entropyBits: unknown }][]) {
  const t0 = performance.now();
  const set = await synthesizeTargets({ vocabSize: V, device }, request);
  const s = (performance.now() - t0) / 1000;
  const n = set.meta.length;
  // What the solver stepped (vanilla targets record their iterations): the slowest row's count is
  // what every row cost while the whole batch was stepped until the last row finished.
  const its = set.meta.map((m) => m.params.iterations).filter((x): x is number => typeof x === 'number');
  const [slowest, all] = its.length ? [Math.max(...its), its.reduce((x, y) => x + y, 0)] : [null, null];
  set.dispose();
  const grid = label(request.entropyBits);
  rows.push({ kind: request.kind, method, grid, targets: n, seconds: s, targetsPerSecond: n / s, slowest, all });
  const work = slowest === null ? ['', '', ''] : [slowest, all, ((n * slowest) / all!).toFixed(1)];
  table.push(
    `| ${request.kind} | ${method} | ${grid} | ${n} | ${s.toFixed(2)} | ${(n / s).toFixed(1)} | ${work.join(' | ')} |`,
  );
}
const name = `targets-${deviceTag(device)}${paper ? '-paper' : ''}${V === 128256 ? '' : `-v${V}`}`;
save(name, { vocab: V, paper, rows }, table);
