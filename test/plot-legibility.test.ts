// A figure reads as it is named: each axis says its title once (vega-lite joins into an axis title
// the field of every layer without one: a boxplot's box, whiskers and outliers each count, which drew
// 'bodyGapNats, body gap: … (nats), body gap: … (nats)' down a figure taller than its plot), and
// each legend swatch is as strong as its series (a legend takes its first layer's opacity).
import { describe, expect, it } from 'vitest';

import type { PlotRecord } from '../lib/analysis/best.js';
import {
  allFigures,
  bodyGapByKind,
  boundsVsEntropy,
  klVsEntropy,
  posBoxes,
  renderSvg,
  type Figure,
} from '../lib/plot/index.js';

const row = (targetId: string, init: number, extra: Partial<PlotRecord>): PlotRecord => ({
  rowId: `${targetId}|init=${init}|soft`,
  targetId,
  targetKind: 'vanilla',
  initId: init,
  method: 'soft',
  pattern: 'SSSSS',
  candidates: 1,
  klNats: 1 + init / 4,
  modelEntropyBits: 3,
  targetEntropyBits: 2,
  requestedEntropyBits: 2,
  headBoundNats: 0.2,
  sphereBoundNats: 0.5,
  bottleneckBoundNats: 0.1,
  ...extra,
});

// Vanilla targets with bounds at a few entropies, and uniform targets over two tags.
const records: PlotRecord[] = [0, 2, 4, 6].flatMap((h) =>
  [0, 1, 2].map((i) =>
    row(`vanilla:h=${h}`, i, { targetEntropyBits: h, requestedEntropyBits: h, klNats: 1 + h / 8 + i }),
  ),
);
const pos: PlotRecord[] = ['noun', 'verb'].flatMap((tag) =>
  [0, 1, 2].flatMap((t) =>
    [0, 1].map((i) =>
      row(`pos-uniform:tag=${tag}:i=${t}`, i, {
        targetKind: 'pos-uniform',
        posTag: tag,
        requestedEntropyBits: null,
        klNats: 2 + t / 3 + i,
      }),
    ),
  ),
);

const axisTitles = (svg: string): string[] =>
  [...svg.matchAll(/<g class="mark-text role-axis-title"[^>]*><text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

async function titlesOf(fig: Figure | null): Promise<string[]> {
  expect(fig).not.toBeNull();
  return axisTitles(await renderSvg(fig!)).sort();
}

describe('axis titles', () => {
  it('the body gap box plot names its axis once, without the column', async () => {
    expect(await titlesOf(bodyGapByKind(records))).toEqual([
      'body gap: KL reached − sphere value (nats)',
      'target kind',
    ]);
  });

  it('the bounds figure: its band layer does not add the column to the title', async () => {
    expect(await titlesOf(boundsVsEntropy(records))).toEqual(['KL (nats), mean over targets', 'target entropy (bits)']);
  });

  it('the part-of-speech box plot names its axis once, without the column', async () => {
    expect(await titlesOf(posBoxes(pos))).toEqual(['min KL over inits (nats)', 'part of speech']);
  });
});

const legendOpacities = (svg: string): string[] =>
  [...svg.matchAll(/<g class="mark-symbol role-legend-symbol"[^>]*><path[^>]*opacity="([^"]*)"/g)].map((m) => m[1]);

describe('legends', () => {
  it("draw each series' swatch opaque, not in the pale of the figure's error band", async () => {
    const twoMethods = [
      ...records,
      ...records.map((r) => ({ ...r, method: 'hard' as const, pattern: 'HHHHH', klNats: r.klNats + 1 })),
    ];
    for (const fig of [klVsEntropy(twoMethods), boundsVsEntropy(twoMethods), bodyGapByKind(twoMethods)]) {
      const opacities = legendOpacities(await renderSvg(fig!));
      expect(opacities.length).toBeGreaterThan(1);
      expect(new Set(opacities)).toEqual(new Set(['1']));
    }
  });
});

const legendFills = (svg: string): string[] =>
  [...svg.matchAll(/<g class="mark-symbol role-legend-symbol"[^>]*><path[^>]*fill="([^"]*)"/g)].map((m) => m[1]);

describe('series colours', () => {
  it('a figure of more than ten series gives each its own colour', async () => {
    // Four models × three methods: twelve series, past vega's ten default colours.
    const methods = [
      { method: 'soft', pattern: 'SSSSS' },
      { method: 'hybrid', pattern: 'HHSSS' },
      { method: 'hard', pattern: 'HHHHH' },
    ] as const;
    const many = ['a', 'b', 'c', 'd'].flatMap((model, m) =>
      methods.flatMap((method, k) => records.map((r) => ({ ...r, ...method, model, klNats: r.klNats + m + k / 3 }))),
    );
    for (const id of ['kl-vs-entropy', 'achieved-entropy']) {
      const fig = allFigures(many).find((f) => f.id === id)!;
      const fills = legendFills(await renderSvg(fig));
      expect(fills).toHaveLength(12);
      expect(new Set(fills).size).toBe(12);
    }
    // Ten or fewer keep the default palette.
    const few = legendFills(await renderSvg(allFigures(records).find((f) => f.id === 'kl-vs-entropy')!));
    expect(few).toEqual(['#4c78a8']);
  });
});

describe('screen-reader text', () => {
  it('says no NaN where an entropy bin holds one target (a standard error of one is undefined)', async () => {
    // Each bin of `records` holds one target (its three inits give one best row).
    const figs = allFigures([...records, ...pos]);
    expect(figs.length).toBeGreaterThan(3);
    for (const fig of figs) {
      const svg = await renderSvg(fig);
      expect([fig.id, svg.match(/aria-label="[^"]*NaN[^"]*"/)?.[0]]).toEqual([fig.id, undefined]);
    }
  });

  it('still draws the band where a bin holds several targets', async () => {
    const two = [0, 1].flatMap((t) =>
      records.map((r) => ({ ...r, targetId: `${r.targetId}:${t}`, klNats: r.klNats + t })),
    );
    const svg = await renderSvg(allFigures(two).find((f) => f.id === 'kl-vs-entropy')!);
    expect(svg).toMatch(/aria-label="[^"]*stderr[^"]*"/);
  });
});
