// A shard's rows are a slice of its sweep: a figure of them alone passes for the whole sweep (its
// targets' means, over the targets that slice holds). So a shard draws no figures beside its file
// (a split sweep's shards, written into one folder, would each replace the last one's), and `plot`
// and `report` refuse a shard file without the other shards of its split. Every value checked
// is recomputed here from the merged file's rows, not by the project's analysis code.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { mergeResults, plotAll, readResults, report, runSweep, type SweepSpecInput } from '../lib/index.js';
import { scratchDir } from './helpers/cli.js';
import { MICRO_SWEEP } from './helpers/micro-sweep.js';

const dir = scratchDir('shard-figures');

/** Mean of each target's min KL per entropy grid point, from the rows. */
function expectedMeans(
  records: ReadonlyArray<{ targetId: string; klNats: number; requestedEntropyBits: number | null }>,
) {
  const best = new Map<string, { h: number; kl: number }>();
  for (const r of records) {
    const prior = best.get(r.targetId);
    if (!prior || r.klNats < prior.kl) best.set(r.targetId, { h: r.requestedEntropyBits!, kl: r.klNats });
  }
  const bins = new Map<number, number[]>();
  for (const { h, kl } of best.values()) bins.set(h, [...(bins.get(h) ?? []), kl]);
  return new Map([...bins].map(([h, v]) => [h, v.reduce((a, b) => a + b, 0) / v.length]));
}

/** The points the figure draws: vega writes each one's bin and mean into its aria-label. */
function drawnMeans(svg: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of svg.matchAll(/aria-label="hBin: ([-\d.e]+); Mean of klNats: ([-\d.e]+); series: soft"/g))
    out.set(Number(m[1]), Number(m[2]));
  return out;
}

/** The figure's points are the recomputed means (vega writes 12 significant digits). */
function expectDrawn(svg: string, want: ReadonlyMap<number, number>): void {
  const drawn = drawnMeans(svg);
  expect([...drawn.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [h, mean] of want) expect(drawn.get(h)).toBeCloseTo(mean, 9);
}

it('a split sweep draws its figures from every shard, never from one', async () => {
  const output = join(dir, 'r.arrow');
  const spec = {
    ...MICRO_SWEEP,
    targets: [{ kind: 'vanilla', entropyBits: [1, 2, 3, 4, 5, 6], method: 'temperature' }],
    bound: false,
  } as SweepSpecInput;
  const shards = [0, 1].map((i) => join(dir, `r.shard${i}of2.arrow`));
  // As a cluster's array runs them: each shard's file in one folder, figures left at their default.
  for (const [index, file] of shards.entries()) await runSweep({ ...spec, shard: { index, count: 2 }, output: file });
  await mergeResults(shards, output);
  const want = expectedMeans((await readResults(output)).records);
  expect(want.size).toBe(6);

  // Whatever the shards left in figures/ beside them must show the whole sweep; they leave none.
  const beside = join(dir, 'figures', 'kl-vs-entropy.svg');
  if (existsSync(beside)) expectDrawn(readFileSync(beside, 'utf8'), want);
  expect(existsSync(join(dir, 'figures'))).toBe(false);

  // Every shard of the split together is the sweep.
  const both = await plotAll(shards, join(dir, 'both'));
  expectDrawn(readFileSync(both.find((f) => f.id === 'kl-vs-entropy')!.path, 'utf8'), want);

  // One shard alone is refused, naming it and the shard missing.
  await expect(plotAll(shards[1], join(dir, 'one'))).rejects.toThrow(
    /r\.shard1of2\.arrow is shard 1 of 2 of its sweep.*shard 0 .*not given.*distprompt merge/s,
  );
  await expect(report([shards[0]], join(dir, 'one.html'))).rejects.toThrow(/shard 0 of 2.*shard 1 .*not given/s);
});
