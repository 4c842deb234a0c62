// A study's figures: the sweep figures (lib/plot) of each experiment, with every model as a
// series, and one figure per model across the variants of a study that has them (prefix lengths
// as series). Each is written as SVG and, for papers and slides, as PNG beside it.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { allFigures, figure, renderSvg, type Figure, type PlotRecord } from '../plot/index.js';
import { writeAtomic } from '../results/files.js';
import type { StoredRunRecord } from '../results/index.js';
import { modelSlug, type StudySweep } from './plan.js';
import type { StudyFigure } from './study-figure.js';

interface Group {
  name: string;
  study: string;
  experiments: Set<string>;
  records: PlotRecord[];
}

/** SVG → PNG at twice the SVG's size (resvg: a maintained renderer, no browser). */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const png = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 2 },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  return new Uint8Array(png);
}

const POS_ORDER = ['noun', 'proper-noun', 'verb', 'adjective', 'ambiguous'];

/** Fig. 12: tokens per part of speech in each model's vocabulary (untagged ones left out: most of any vocabulary). */
export function posCountsFigure(counts: ReadonlyMap<string, Record<string, number>>): Figure | null {
  if (counts.size === 0) return null;
  const rows = [...counts].flatMap(([model, c]) => POS_ORDER.map((tag) => ({ model, tag, tokens: c[tag] ?? 0 })));
  return figure(
    { id: 'pos-counts', title: 'Tokens per part of speech in the vocabulary', paperFigure: 'Fig. 12' },
    {},
    { width: 420, height: 260 },
    {
      data: { values: rows },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'tag', type: 'nominal', sort: POS_ORDER, axis: { title: 'part of speech', labelAngle: 0 } },
        xOffset: { field: 'model' },
        y: { field: 'tokens', type: 'quantitative', axis: { title: 'tokens' } },
        color: { field: 'model', type: 'nominal', title: null, legend: { labelLimit: 0 } },
      },
    },
  );
}

export async function drawFigures(
  items: ReadonlyArray<{ sweep: StudySweep; records: readonly StoredRunRecord[] }>,
  dir: string,
  manyModels: boolean,
  posVocabulary: ReadonlyMap<string, Record<string, number>> = new Map(),
  /** an abort stops between figures: those written so far are whole */
  signal?: AbortSignal,
): Promise<StudyFigure[]> {
  const groups = new Map<string, Group>();
  const add = (name: string, study: string, experiment: string, records: PlotRecord[]) => {
    const g = groups.get(name) ?? { name, study, experiments: new Set<string>(), records: [] };
    g.experiments.add(experiment);
    g.records.push(...records);
    groups.set(name, g);
  };
  for (const { sweep, records } of items) {
    if (sweep.variant) {
      // Variants as series: 'L10 · soft'.
      add(
        `${sweep.study.name}.${modelSlug(sweep.givenModel)}`,
        sweep.study.name,
        sweep.experiment,
        records.map((r) => ({ ...r, model: sweep.variant })),
      );
    } else {
      add(
        sweep.experiment,
        sweep.study.name,
        sweep.experiment,
        manyModels ? records.map((r) => ({ ...r, model: sweep.model })) : [...records],
      );
    }
  }
  const out: StudyFigure[] = [];
  for (const g of groups.values()) {
    const where = join(dir, g.name);
    await mkdir(where, { recursive: true });
    const extra = g.study === 'pos' ? [posCountsFigure(posVocabulary)].filter((f): f is Figure => f !== null) : [];
    for (const f of [...extra, ...allFigures(g.records)]) {
      if (signal?.aborted) return out;
      const svg = await renderSvg(f);
      const svgPath = join(where, `${f.id}.svg`);
      const pngPath = join(where, `${f.id}.png`);
      await writeAtomic(svgPath, new TextEncoder().encode(svg));
      await writeAtomic(pngPath, await svgToPng(svg));
      out.push({
        group: g.name,
        study: g.study,
        experiments: [...g.experiments],
        id: f.id,
        title: f.title,
        paperFigure: f.paperFigure,
        ...(f.caption !== undefined ? { caption: f.caption } : {}),
        svgPath,
        pngPath,
        svg,
      });
    }
  }
  return out;
}
