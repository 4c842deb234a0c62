// The bounds figure: per entropy the three curves (bottleneck, sphere, ball) beside the KL each
// method reaches, and the body gap measured from the sphere.
import { describe, expect, it } from 'vitest';

import { bodyGapByKind, boundsVsEntropy } from '../lib/plot/bound-figures.js';
import type { PlotRecord } from '../lib/analysis/best.js';

const row = (h: number, init: number, extra: Partial<PlotRecord> = {}): PlotRecord => ({
  rowId: `vanilla:h=${h}|init=${init}|soft`,
  targetId: `vanilla:h=${h}`,
  targetKind: 'vanilla',
  initId: init,
  method: 'soft',
  pattern: 'SSSSS',
  candidates: 1,
  klNats: 1 + h / 10 + init,
  modelEntropyBits: 3,
  targetEntropyBits: h,
  requestedEntropyBits: h,
  headBoundNats: 0.2,
  sphereBoundNats: 0.5,
  bottleneckBoundNats: 0.1,
  ...extra,
});

describe('bounds figures', () => {
  it('draw the bottleneck, the sphere and the ball beside the KL reached, once per target', () => {
    const records = [0, 4, 8].flatMap((h) => [row(h, 0), row(h, 1)]);
    const fig = boundsVsEntropy(records)!;
    const values = (fig.spec as { data: { values: { series: string; klNats: number }[] } }).data.values;
    const bySeries = (needle: string) => values.filter((v) => v.series.includes(needle));
    expect(bySeries('ball bound').map((v) => v.klNats)).toEqual([0.2, 0.2, 0.2]);
    expect(bySeries('sphere').map((v) => v.klNats)).toEqual([0.5, 0.5, 0.5]);
    expect(bySeries('bottleneck').map((v) => v.klNats)).toEqual([0.1, 0.1, 0.1]);
    // The KL reached: each target's best init.
    expect(bySeries('KL reached').map((v) => v.klNats)).toEqual([1, 1.4, 1.8]);
  });

  it('measure the body gap from the sphere, and from the ball in files without it', () => {
    const gaps = (records: PlotRecord[]) =>
      (bodyGapByKind(records)!.spec as { data: { values: { bodyGapNats: number }[] } }).data.values.map(
        (v) => v.bodyGapNats,
      );
    expect(gaps([row(4, 0)])).toEqual([1.4 - 0.5]);
    expect(gaps([row(4, 0, { sphereBoundNats: null })])).toEqual([1.4 - 0.2]);
  });
});
