import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseSpec } from '../lib/spec/index.js';
import { planSweep } from '../lib/sweep/index.js';
import { readResults, ResultWriter, type RunRecord } from '../lib/results/index.js';
import {
  achievedVsTargetEntropy,
  bestPerTarget,
  binOf,
  klVsEntropy,
  linearRegression,
  lmShuffledVanilla,
  migratedSources,
  outlierVsVanilla,
  pairedLmVsVanilla,
  pairedPoints,
  plotAll,
  posBoxes,
  renderSvg,
  report,
  summaryTable,
} from '../lib/plot/index.js';

const dir = mkdtempSync(join(tmpdir(), 'distprompt-plot-'));
afterAll(() =>
  process.env.DISTPROMPT_KEEP_TEST_FILES ? console.warn(`kept ${dir}`) : rmSync(dir, { recursive: true, force: true }),
);

const V = 16;
const spec = parseSpec({
  targets: [
    { kind: 'vanilla', entropyBits: '0:max:0.25' },
    { kind: 'outlier', entropyBits: '0.5:3.5:0.5' },
    { kind: 'lm', count: 12 },
    { kind: 'shuffled', count: 4, shuffles: 2 },
    { kind: 'migrated', source: 'gpt2', count: 6 },
    { kind: 'pos-uniform', n: 8, count: 5 },
  ],
  inits: 3,
  methods: [{ method: 'soft' }, { method: 'hard' }],
});
const plan = planSweep(spec, V);

/** Pseudo-random in [0, 1) from a row seed, so the records are varied but reproducible. */
const unit = (seed: number, salt: number) => ((seed * 9301 + salt * 49297) % 233280) / 233280;

/**
 * Records shaped like the study's findings: difficulty unimodal in entropy (peak mid-way), hard
 * above soft, outliers and lm targets easier, inits scattered around the target's difficulty.
 */
const EASIER_BY_KIND: Partial<Record<string, number>> = {
  outlier: 0.6,
  lm: 0.5,
  shuffled: 0.55,
  migrated: 0.7,
  'pos-uniform': 0.8,
  vanilla: 1,
};
const records: RunRecord[] = plan.rows.map((row) => {
  const t = plan.targets.find((x) => x.targetId === row.targetId)!;
  const params = t.params as { entropyBits?: number | null; pairedWith?: string; posTag?: string };
  const requested = typeof params.entropyBits === 'number' ? params.entropyBits : null;
  // A paired vanilla target has its lm target's entropy (the study's matched pairs).
  const entropySeed =
    typeof params.pairedWith === 'string' ? plan.targets.find((x) => x.targetId === params.pairedWith)!.seed : t.seed;
  const achieved = requested ?? 0.5 + 3 * unit(entropySeed, 1);
  const easier = EASIER_BY_KIND[t.kind] ?? 1;
  const klNats =
    (0.05 + Math.sin((Math.PI * achieved) / Math.log2(V))) *
    easier *
    (row.method === 'hard' ? 2.5 : 1) *
    (1 + 0.3 * unit(row.seed, 2));
  return {
    rowId: row.rowId,
    targetId: row.targetId,
    targetKind: t.kind,
    initId: row.initId,
    method: row.method,
    pattern: row.pattern,
    candidates: row.candidates,
    prefixLength: 5,
    klNats,
    bestEpoch: 30,
    epochs: 50,
    stopReason: 'patience',
    modelEntropyBits: achieved * (0.8 + 0.2 * unit(row.seed, 3)),
    targetEntropyBits: achieved,
    requestedEntropyBits: requested,
    wallMs: 5,
    shardIndex: 0,
    outliers: t.kind === 'outlier' ? 1 : null,
    sourceModel: t.kind === 'migrated' ? 'gpt2' : null,
    posTag: typeof params.posTag === 'string' ? params.posTag : null,
    pairedWith: typeof params.pairedWith === 'string' ? params.pairedWith : null,
  };
});

/** The <path>s (one per point/box/line) inside the SVG group of marks named `name`. */
function marksNamed(svg: string, name: string): number {
  const groups = [...svg.matchAll(new RegExp(`<g class="mark-[a-z]+ role-mark ${name}_[^"]*"[^>]*>(.*?)</g>`, 'g'))];
  return groups.reduce((n, g) => n + (g[1].match(/<path/g) ?? []).length, 0);
}
const legendLabels = (svg: string): string[] =>
  [...svg.matchAll(/<g class="mark-text role-legend-label"[^>]*>(.*?)<\/g>/g)].flatMap((g) =>
    [...g[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]),
  );

describe('figure data', () => {
  test('per target the minimum over inits is taken first', () => {
    const best = bestPerTarget(records);
    const one = best.find((b) => b.targetId === 'vanilla:h=2:s=0' && b.method === 'soft')!;
    const rows = records.filter((r) => r.targetId === 'vanilla:h=2:s=0' && r.method === 'soft');
    expect(rows).toHaveLength(3);
    expect(one.klNats).toBe(Math.min(...rows.map((r) => r.klNats)));
    expect(one.inits).toBe(3);
    expect(best).toHaveLength(plan.targets.length * 2);
  });

  test('regression and summary numbers', () => {
    const fit = linearRegression([0, 1, 2, 3], [1, 3, 5, 7])!;
    expect(fit.slope).toBeCloseTo(2, 12);
    expect(fit.intercept).toBeCloseTo(1, 12);
    expect(fit.rSquared).toBeCloseTo(1, 12);
    expect(linearRegression([1, 1], [2, 3])).toBeNull();
    const table = summaryTable(bestPerTarget(records));
    const soft = table.find((r) => r.kind === 'vanilla' && r.method === 'soft')!;
    const hard = table.find((r) => r.kind === 'vanilla' && r.method === 'hard:k=1')!;
    expect(soft.n).toBe(17); // the grid's 17 targets
    expect(hard.mean).toBeGreaterThan(soft.mean);
    // The 12 lm-paired ones, whose entropies are the lm targets', are a row of their own.
    const paired = table.find((r) => r.kind === 'vanilla (paired)' && r.method === 'soft')!;
    const pairedBest = bestPerTarget(records).filter((b) => b.pairedWith !== null && b.method === 'soft');
    expect(paired.n).toBe(12);
    expect(paired.mean).toBeCloseTo(pairedBest.reduce((a, b) => a + b.klNats, 0) / 12, 12);
  });
});

describe('figures', () => {
  test('KL vs entropy: one line per method, one point per entropy bin, unimodal', async () => {
    const fig = klVsEntropy(records)!;
    const svg = await renderSvg(fig);
    expect(legendLabels(svg).sort()).toEqual(['hard:k=1', 'soft']);
    const bins = new Set(
      plan.targets.flatMap((t) =>
        t.kind === 'vanilla' && t.params.pairedWith === undefined ? [binOf(t.params.entropyBits, 0.25)] : [],
      ),
    );
    expect(marksNamed(svg, 'points')).toBe(2 * bins.size);
    // One target per bin here: a band needs two (test/plot-legibility.test.ts draws one).
    expect(marksNamed(svg, 'bands')).toBe(0);
    expect(marksNamed(svg, 'lines')).toBe(2);
    // The data it plots is the study's shape: easy at both ends, hardest mid-way.
    const values = (
      fig.spec as { data: { values: Array<{ hBin: number; klNats: number; series: string }> } }
    ).data.values.filter((v) => v.series === 'soft');
    const at = (h: number) => values.find((v) => v.hBin === h)!.klNats;
    expect(at(2)).toBeGreaterThan(at(0));
    expect(at(2)).toBeGreaterThan(at(4));
  });

  test('outlier vs vanilla, lm/shuffled/vanilla and migrated name their series', async () => {
    expect(legendLabels(await renderSvg(outlierVsVanilla(records)!)).sort()).toEqual([
      'outlier k=1 · hard:k=1',
      'outlier k=1 · soft',
      'vanilla · hard:k=1',
      'vanilla · soft',
    ]);
    expect(legendLabels(await renderSvg(lmShuffledVanilla(records)!)).sort()).toEqual([
      'lm · hard:k=1',
      'lm · soft',
      'shuffled · hard:k=1',
      'shuffled · soft',
      'vanilla · hard:k=1',
      'vanilla · soft',
    ]);
    const soft = records.filter((r) => r.method === 'soft');
    expect(legendLabels(await renderSvg(migratedSources(soft)!)).sort()).toEqual(['from gpt2', 'own (lm)']);
  });

  test('achieved vs target entropy: one point per target and method, and the diagonal', async () => {
    const svg = await renderSvg(achievedVsTargetEntropy(records)!);
    expect(marksNamed(svg, 'points')).toBe(plan.targets.length * 2);
    expect(marksNamed(svg, 'diagonal')).toBe(1);
  });

  test('paired lm vs vanilla: a point per pair, a fitted line and R² per method', async () => {
    const fig = pairedLmVsVanilla(records)!;
    const svg = await renderSvg(fig);
    expect(pairedPoints(records)).toHaveLength(12 * 2);
    expect(marksNamed(svg, 'points')).toBe(24);
    expect(marksNamed(svg, 'fits')).toBe(2);
    const soft = pairedPoints(records).filter((p) => p.series === 'soft');
    const r2 = linearRegression(
      soft.map((p) => p.lmKlNats),
      soft.map((p) => p.vanillaKlNats),
    )!.rSquared;
    expect(svg).toContain(`soft: R² = ${r2.toFixed(3)}`);
  });

  test('POS box plots: a box per tag and method', async () => {
    const svg = await renderSvg(posBoxes(records)!);
    for (const tag of ['noun', 'proper-noun', 'verb', 'adjective']) expect(svg).toContain(`>${tag}</text>`);
    expect(marksNamed(svg, 'boxes_layer_1_layer_0')).toBe(4 * 2);
  });

  test('figures the data cannot support are not drawn', async () => {
    const vanillaOnly = records.filter((r) => r.targetKind === 'vanilla' && !r.pairedWith);
    expect(outlierVsVanilla(vanillaOnly)).toBeNull();
    expect(pairedLmVsVanilla(vanillaOnly)).toBeNull();
    expect(posBoxes(vanillaOnly)).toBeNull();
    const written = await plotAll(vanillaOnly, join(dir, 'vanilla-only'));
    expect(written.map((w) => w.id)).toEqual(['kl-vs-entropy', 'achieved-entropy']);
  });
});

describe('plotAll and report', () => {
  const arrow = join(dir, 'results.arrow');

  test('plotAll reads an Arrow file and writes every figure as SVG', async () => {
    const writer = await ResultWriter.create(arrow, {
      spec,
      model: { name: 'random:tiny-gpt2', hash: 'h' },
      vocabSize: V,
      version: '0.1.0',
      build: {},
    });
    await writer.append(records);
    await writer.finish();
    const written = await plotAll(arrow, join(dir, 'figures'));
    expect(written.map((w) => w.id)).toEqual([
      'kl-vs-entropy',
      'achieved-entropy',
      'outlier-vs-vanilla',
      'lm-vs-vanilla',
      'lm-shuffled-vanilla',
      'migrated',
      'pos',
    ]);
    for (const w of written) expect(readFileSync(w.path, 'utf8')).toMatch(/^<svg[^>]*>.*<\/svg>$/s);
  });

  test("plotAll and report draw readResults' value and its records as they draw the file", async () => {
    const read = await readResults(arrow);
    const fromFile = (await plotAll(arrow, join(dir, 'from-file'))).map((w) => w.id);
    expect((await plotAll(read, join(dir, 'from-read'))).map((w) => w.id)).toEqual(fromFile);
    expect((await plotAll(read.records, join(dir, 'from-records'))).map((w) => w.id)).toEqual(fromFile);
    for (const w of fromFile)
      expect(readFileSync(join(dir, 'from-read', `${w}.svg`), 'utf8')).toBe(
        readFileSync(join(dir, 'from-file', `${w}.svg`), 'utf8'),
      );
    await report(read, join(dir, 'from-read.html'));
    expect(readFileSync(join(dir, 'from-read.html'), 'utf8').match(/<svg/g)).toHaveLength(fromFile.length);
  });

  test('a value that is no results is refused, naming what was given, before anything is written', async () => {
    const out = join(dir, 'not-results');
    await expect(plotAll(42 as never, out)).rejects.toThrow(
      /plotAll: the results to draw must be a results file's path, a list of paths, readResults' value or its records; got number 42/,
    );
    await expect(plotAll({ metadata: {} } as never, out)).rejects.toThrow(/got an object without records/);
    await expect(report([arrow, 3] as never, `${out}.html`)).rejects.toThrow(
      /report: the results to draw .* got a list of string and number/,
    );
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.html`)).toBe(false);
  });

  test('a figure option misspelt or out of range is refused before anything is written', async () => {
    const out = join(dir, 'refused');
    await expect(plotAll(arrow, out, { binbits: 1 } as never)).rejects.toThrow(
      /plotAll: unknown option 'binbits' \(known: binBits, width, height\)/,
    );
    await expect(plotAll(arrow, out, { binBits: 0 })).rejects.toThrow(
      /plotAll: binBits must be a finite number above 0, got 0/,
    );
    await expect(report(arrow, join(out, 'r.html'), { titel: 'x' } as never)).rejects.toThrow(
      /report: unknown option 'titel' \(known: binBits, width, height, title, facts\)/,
    );
    expect(existsSync(out)).toBe(false);
  });

  test('a results file given twice, or a copy of it, is refused: its rows would count twice', async () => {
    const copy = join(dir, 'copy.arrow');
    copyFileSync(arrow, copy);
    const out = join(dir, 'twice');
    await expect(plotAll([arrow, arrow], out)).rejects.toThrow(
      /results\.arrow repeats row '[^']+' of .*results\.arrow \(model random:tiny-gpt2\): give each results file once/,
    );
    await expect(report([arrow, copy], join(dir, 'twice.html'))).rejects.toThrow(/copy\.arrow repeats row/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, 'twice.html'))).toBe(false);
  });

  const html = join(dir, 'report.html');
  test('the report is one self-contained file with every figure and the summary table', async () => {
    await report(arrow, html, { facts: { model: 'random:tiny-gpt2' } });
    const text = readFileSync(html, 'utf8');
    expect(text.match(/<svg/g)).toHaveLength(7);
    // Nothing to fetch: no scripts, stylesheets, images or fonts from elsewhere, no URL at all.
    expect(text).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(text).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    const rows = [...text.matchAll(/<tr><td class="l">([^<]*)<\/td><td class="l">([^<]*)<\/td><td>(\d+)<\/td>/g)].map(
      (m) => `${m[1]}/${m[2]}/${m[3]}`,
    );
    expect(rows).toContain('vanilla/soft/17');
    expect(rows).toContain('vanilla (paired)/soft/12');
    expect(rows).toContain('pos-uniform/hard:k=1/20');
    expect(rows).toHaveLength(7 * 2); // kinds (paired vanilla apart) × methods
  });

  // Headless Chromium (Debian's `chromium` package) loads the report with networking off and
  // dumps the DOM it built: the figures and the table must be there.
  const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find(
    (c) => spawnSync('which', [c], { stdio: 'ignore' }).status === 0,
  );
  if (!chromium)
    console.warn('[plot.test] SKIP headless Chromium check: no chromium on PATH (apt-get install -y chromium)');
  test.skipIf(!chromium)('headless Chromium renders the report offline', () => {
    expect(existsSync(html)).toBe(true);
    const dom = execFileSync(
      chromium!,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--dump-dom',
        `file://${html}`,
      ],
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    expect(dom.match(/<svg/g)).toHaveLength(7);
    expect(dom).toContain('id="summary"');
  });
});
