// The numbers a study prints for its findings, recomputed by hand from the Arrow tables it wrote:
// a real smoke study of random:micro through the built CLI (its --json summary is what the report
// prints), and here each table read with apache-arrow, each target's difficulty taken as its
// minimum KL over inits, and every finding's statistic computed again from its definition in
// docs/studies.md. Nothing of lib/analysis or lib/study is used on this side.
import { tableFromIPC } from 'apache-arrow';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'distprompt-findings-recomputed-'));
const out = join(dir, 'out');

interface Printed {
  id: string;
  scope: string;
  verdict: string;
  numbers: Record<string, number>;
}
interface Row {
  targetId: string;
  targetKind: string;
  method: string;
  pattern: string;
  candidates: number;
  klNats: number;
  requestedEntropyBits: number | null;
  targetEntropyBits: number;
  outliers: number | null;
  pairedWith: string | null;
  targetParams: string | null;
  headBoundNats: number | null;
  sphereBoundNats: number | null;
}
interface Best extends Row {
  label: string;
  sample: number;
  lmTarget: string | null;
}

let printed: Printed[];
const mine: { id: string; scope: string; numbers: Record<string, number> }[] = [];

const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
const label = (r: Row) =>
  r.method === 'soft'
    ? 'soft'
    : r.method === 'hard'
      ? `hard:k=${r.candidates}`
      : `hybrid:${r.pattern}:k=${r.candidates}`;
/** P(X ≥ wins), X ~ Binomial(n, ½), by the binomial coefficients themselves. */
const signP = (wins: number, n: number) => {
  let p = 0;
  let c = 1; // C(n, 0)
  for (let k = 0; k <= n; k++) {
    if (k >= wins) p += c / 2 ** n;
    c = (c * (n - k)) / (k + 1);
  }
  return p;
};
const paired = (easier: number[], harder: number[]) => {
  const wins = easier.filter((e, i) => e < harder[i]).length;
  const gap = mean(harder.map((h, i) => h - easier[i]));
  return { pairs: easier.length, wins, meanGapNats: gap, p: signP(wins, easier.length) };
};
/** Per (method, target): the init with the lowest KL. */
function bestOf(rows: Row[]): Best[] {
  const best = new Map<string, Best>();
  for (const r of rows) {
    const key = `${label(r)}|${r.targetId}`;
    const prior = best.get(key);
    if (prior && prior.klNats <= r.klNats) continue;
    const params = JSON.parse(r.targetParams ?? '{}') as { sample?: number; lmTarget?: string };
    best.set(key, { ...r, label: label(r), sample: params.sample ?? 0, lmTarget: params.lmTarget ?? null });
  }
  return [...best.values()];
}
function byGroup<T>(xs: T[], key: (x: T) => number): [number, T[]][] {
  const m = new Map<number, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return [...m].sort((a, b) => a[0] - b[0]);
}

beforeAll(() => {
  const r = spawnSync(
    process.execPath,
    [
      cli,
      'study',
      'vanilla,methods,outliers,lm,shuffled',
      '--scale',
      'smoke',
      '-m',
      'random:micro',
      '--json',
      '-o',
      out,
    ],
    { encoding: 'utf8', timeout: 600_000 },
  );
  expect(r.status, r.stderr).toBe(0);
  const done = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; findings?: Printed[] })
    .find((e) => e.event === 'done');
  printed = done!.findings!;

  for (const file of readdirSync(out).filter((f) => f.endsWith('.arrow'))) {
    const t = tableFromIPC(readFileSync(join(out, file)));
    const rows = Array.from({ length: t.numRows }, (_, i) => t.get(i)!.toJSON() as unknown as Row);
    const experiment = file.slice(0, file.indexOf('.'));
    const scope = `${experiment} · random:micro`;
    const best = bestOf(rows);
    const methods = [...new Set(best.map((b) => b.label))];
    const grid = best.filter((b) => b.targetKind === 'vanilla' && b.pairedWith === null);
    if (experiment === 'vanilla') {
      // 1: mean difficulty per grid point; the peak and both ends.
      for (const m of methods) {
        const curve = byGroup(
          grid.filter((b) => b.label === m),
          (b) => b.requestedEntropyBits!,
        ).map(([h, bs]) => ({ h, kl: mean(bs.map((b) => b.klNats)) }));
        const peak = curve.reduce((a, b) => (b.kl > a.kl ? b : a));
        mine.push({
          id: '1',
          scope: `${scope} · ${m}`,
          numbers: {
            peakBits: peak.h,
            peakKlNats: peak.kl,
            lowEndKlNats: curve[0].kl,
            highEndKlNats: curve[curve.length - 1].kl,
            bins: curve.length,
          },
        });
      }
    }
    if (experiment === 'methods') {
      // 2: the mean per method over the targets every method ran.
      const numbers: Record<string, number> = { targets: new Set(best.map((b) => b.targetId)).size };
      for (const m of methods) numbers[`mean ${m}`] = mean(best.filter((b) => b.label === m).map((b) => b.klNats));
      mine.push({ id: '2', scope, numbers });
    }
    if (experiment === 'outliers') {
      // 3a: each outlier target against the vanilla target of its (entropy, sample); 3b: the gap per k.
      const pairs = best
        .filter((b) => b.targetKind === 'outlier')
        .map((o) => {
          const v = grid.find(
            (g) => g.label === o.label && g.requestedEntropyBits === o.requestedEntropyBits && g.sample === o.sample,
          )!;
          return { k: o.outliers!, outlier: o.klNats, vanilla: v.klNats };
        });
      mine.push({
        id: '3a',
        scope,
        numbers: paired(
          pairs.map((p) => p.outlier),
          pairs.map((p) => p.vanilla),
        ),
      });
      const numbers: Record<string, number> = { pairs: pairs.length };
      for (const [k, ps] of byGroup(pairs, (p) => p.k))
        numbers[`gap k=${k}`] = mean(ps.map((p) => p.vanilla - p.outlier));
      mine.push({ id: '3b', scope, numbers });
    }
    if (experiment === 'lm' || experiment === 'shuffled') {
      // 4a: each lm target against its paired vanilla; 4b: each shuffle against its lm target's pair.
      const pair = new Map(best.filter((b) => b.pairedWith !== null).map((b) => [b.pairedWith!, b.klNats]));
      const kind = experiment === 'lm' ? 'lm' : 'shuffled';
      const ours = best.filter((b) => b.targetKind === kind);
      const partner = (b: Best) => pair.get(kind === 'lm' ? b.targetId : b.lmTarget!)!;
      mine.push({
        id: kind === 'lm' ? '4a' : '4b',
        scope: `${scope} · ${methods[0]}`,
        numbers: paired(
          ours.map((b) => b.klNats),
          ours.map(partner),
        ),
      });
    }
    // 6: mean difficulty = the sphere's mean + the body gap, over (target, method).
    const kl = mean(best.map((b) => b.klNats));
    const sphere = mean(best.map((b) => b.sphereBoundNats!));
    mine.push({
      id: '6',
      scope,
      numbers: {
        targets: new Set(best.map((b) => b.targetId)).size,
        methods: methods.length,
        meanKlNats: kl,
        meanHeadBoundNats: mean(best.map((b) => b.headBoundNats!)),
        meanSphereBoundNats: sphere,
        meanBodyGapNats: kl - sphere,
        headShare: sphere / kl,
      },
    });
  }
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a study's findings, recomputed from its Arrow tables", () => {
  it('prints one row per finding and experiment, no more and no fewer than recomputed here', () => {
    expect(printed.map((f) => `${f.id} ${f.scope}`).sort()).toEqual(mine.map((f) => `${f.id} ${f.scope}`).sort());
    expect(mine.map((f) => f.id).sort()).toEqual(['1', '2', '3a', '3b', '4a', '4b', '6', '6', '6', '6', '6']);
  });

  it('prints the very numbers its tables give, each to rounding', () => {
    for (const m of mine) {
      const p = printed.find((f) => f.id === m.id && f.scope === m.scope)!;
      expect(Object.keys(p.numbers).sort(), `${m.id} ${m.scope}`).toEqual(Object.keys(m.numbers).sort());
      for (const [key, value] of Object.entries(m.numbers))
        expect(
          Math.abs(p.numbers[key] - value),
          `${m.id} ${m.scope} ${key}: printed ${p.numbers[key]}, recomputed ${value}`,
        ).toBeLessThan(1e-12);
    }
  });
});
