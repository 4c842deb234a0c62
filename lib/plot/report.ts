// One self-contained HTML file: every figure inline as SVG and a summary table. Nothing is
// fetched when it is opened (no scripts, fonts or stylesheets from elsewhere), so it can be
// mailed, archived or opened on an air-gapped cluster.

import { open } from 'node:fs/promises';

import { writeAtomic } from '../io/atomic.js';
import { checkOutputPath } from '../io/output-path.js';
import { FileError, fileError } from '../io/fs-error.js';
import { shown } from '../spec/fields.js';
import { bestPerTarget, seriesWithoutKl, summaryTable } from '../analysis/best.js';
import { shownStandardError } from '../analysis/stats.js';
import { checkFigureOptions, FIGURE_OPTIONS, type FigureOptions } from './figure-options.js';
import { allFigures } from './registry.js';
import { loadPlotRecords, type PlotInput } from './plot-all.js';
import { renderSvg } from './render.js';
import { esc, inlineSvg } from './html.js';
import { ArgumentError } from '../io/argument-error.js';

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '—');
/** '—' for one target's standard error, as the figures draw no band there. */
const seCell = (r: { n: number; se: number }): string => fmt(shownStandardError(r));

export interface ReportOptions extends FigureOptions {
  title?: string;
  /** Extra facts for the header (model, spec hash, version …). */
  facts?: Record<string, string>;
}

/** ReportOptions' fields, as the compiler checks them against the interface. */
const REPORT_OPTIONS: Record<keyof ReportOptions, true> = { ...FIGURE_OPTIONS, title: true, facts: true };

/** What the table and figures leave out, where they do: a target whose every row's KL is NaN. */
const noKlFact = (n: number): Record<string, string> =>
  n === 0 ? {} : { 'left out': `${n} target·method series whose every row's KL is NaN (nothing to draw)` };

export async function renderReport(input: PlotInput, options: ReportOptions = {}): Promise<string> {
  checkFigureOptions('report', options, REPORT_OPTIONS);
  const records = await loadPlotRecords(input, 'report');
  const best = bestPerTarget(records);
  const table = summaryTable(best);
  const withModel = table.some((r) => r.model);
  const figures = await Promise.all(
    allFigures(records, options).map(async (f) => ({ f, svg: inlineSvg(await renderSvg(f)) })),
  );
  const title = options.title ?? 'distprompt results';
  const facts = {
    rows: String(records.length),
    // Per series, as the table and figures count them: two sweeps (another seed, another model)
    // give the same id to different targets.
    targets: String(new Set(records.map((r) => `${r.model ?? ''}\u0000${r.targetId}`)).size),
    ...noKlFact(seriesWithoutKl(records)),
    ...(options.facts ?? {}),
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}figure{margin:2rem 0}figcaption{color:#555}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}
</style></head>
<body>
<h1>${esc(title)}</h1>
<dl>${Object.entries(facts)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('')}</dl>
<h2>Summary: min KL over inits, per target</h2>
<table id="summary"><thead><tr>${withModel ? '<th class="l">model</th>' : ''}<th class="l">kind</th><th class="l">method</th><th>targets</th><th>mean KL (nats)</th><th>median KL (nats)</th><th>s.e.</th></tr></thead>
<tbody>
${table.map((r) => `<tr>${withModel ? `<td class="l">${esc(r.model ?? '')}</td>` : ''}<td class="l">${esc(r.kind)}</td><td class="l">${esc(r.method)}</td><td>${r.n}</td><td>${fmt(r.mean)}</td><td>${fmt(r.median)}</td><td>${seCell(r)}</td></tr>`).join('\n')}
</tbody></table>
${figures.map(({ f, svg }) => `<figure id="${f.id}">${svg}<figcaption>${esc(f.title)} ${f.caption ? `— ${esc(f.caption)}` : `(the study's ${esc(f.paperFigure)})`}</figcaption></figure>`).join('\n')}
</body></html>
`;
}

/** How an HTML file begins (after a byte-order mark and blank space): a report this writes, or another page. */
const HTML_START = /^\uFEFF?\s*<(!doctype html|html)[\s>]/i;

/**
 * Refuses to replace a file at `outHtml` that is not an HTML page. A report replaces the one it
 * drew before, but `report r.arrow -o r.arrow` (or a spec, or targets) would otherwise turn the
 * one thing a run cannot draw again into HTML.
 */
async function checkReplaceable(outHtml: string): Promise<void> {
  let fh;
  try {
    fh = await open(outHtml, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fileError(e, outHtml);
  }
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead === 0 || HTML_START.test(head.subarray(0, bytesRead).toString('utf8'))) return;
  } catch (e) {
    throw fileError(e, outHtml);
  } finally {
    await fh.close();
  }
  throw new FileError(
    'EEXIST',
    outHtml,
    `${outHtml} exists and is not an HTML report (a results, targets or spec file would be lost): give the report another name, e.g. report.html, or move the file away`,
  );
}

/** Writes the report to `outHtml`; returns its path. A file already there is replaced only if it is an HTML page (or empty). */
export async function report(input: PlotInput, outHtml: string, options: ReportOptions = {}): Promise<string> {
  checkFigureOptions('report', options, REPORT_OPTIONS);
  if (typeof outHtml !== 'string')
    throw new ArgumentError(
      `report: give the HTML file to write, e.g. report(results, 'report.html'), got ${shown(outHtml)}`,
    );
  checkOutputPath(outHtml);
  await checkReplaceable(outHtml);
  const html = await renderReport(input, options);
  await writeAtomic(outHtml, html);
  return outHtml;
}
