// Targets per second at V = 128256: vanilla by Eq. 1 (gradient) and by temperature, and outlier.
import { synthesizeTargets } from '../lib/targets/index.js';
import { args, save } from './common.js';

const a = args();
const device = a.get('--device', 'cpu');
// --quick: a handful (outlier targets by gradient take seconds each at this vocabulary on 2 cores).
const count = Number(a.get('--count', a.has('--quick') ? '4' : '64'));
const V = 128256;
const grid = Array.from({ length: count }, (_, i) => (0.5 + (i * 16) / count) % 16.9);
const rows: Record<string, unknown>[] = [];
const table = ['| kind | method | targets | seconds | targets/s |', '|---|---|---|---|---|'];
for (const [kind, method] of [
  ['vanilla', 'temperature'],
  ['vanilla', 'gradient'],
  ['outlier', 'gradient'],
] as const) {
  const t0 = performance.now();
  const set =
    kind === 'vanilla'
      ? await synthesizeTargets({ vocabSize: V, device }, { kind, entropyBits: grid, method, seed: 1 })
      : await synthesizeTargets(
          { vocabSize: V, device },
          { kind, entropyBits: grid.map((h) => Math.max(1, h)), outliers: 1, seed: 1 },
        );
  const s = (performance.now() - t0) / 1000;
  set.dispose();
  rows.push({ kind, method, targets: count, seconds: s, targetsPerSecond: count / s });
  table.push(`| ${kind} | ${method} | ${count} | ${s.toFixed(2)} | ${(count / s).toFixed(1)} |`);
}
save(`targets-${device.replace(':', '')}`, { vocab: V, device, quick: a.has('--quick'), rows }, table);
