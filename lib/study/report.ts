// The study's report: one self-contained HTML file (figures inline as SVG, no scripts, nothing
// fetched), opening with the findings table, then the models, the sweeps, and each study with
// its figures, captions, spec and best hard prompts. Written atomically beside the Arrow files.
import { join, relative } from 'node:path';

import type { ModelInfo } from '../model/model.js';
import { esc, inlineSvg } from '../plot/html.js';
import { writeAtomic } from '../results/files.js';
import type { Results, StoredRunRecord } from '../results/index.js';
import { methodLabel, scientificSpec, specHash, type MethodName } from '../spec/index.js';
import { VERSION } from '../version.js';
import { claimsOf, type Finding } from './findings.js';
import type { StudySweep } from './plan.js';
import type { StudySummary } from './summary.js';

const seconds = (ms: number): string =>
  ms >= 90_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;

export interface ReportInput {
  summary: StudySummary;
  sweeps: readonly StudySweep[];
  results: ReadonlyMap<string, Results>;
  models: ReadonlyMap<string, ModelInfo>;
}

const VERDICT_CLASS: Record<Finding['verdict'], string> = {
  holds: 'ok',
  'does not hold': 'no',
  'not enough data': 'na',
  measured: 'me',
};

function findingsTable(findings: readonly Finding[]): string {
  const rows = findings.map(
    (f) =>
      `<tr><td>${esc(f.id)}</td><td class="l">${esc(f.claim)}</td><td class="l">${esc(f.scope)}</td><td class="l">${esc(f.statistic)}</td><td class="v ${VERDICT_CLASS[f.verdict]}">${esc(f.verdict)}</td></tr>`,
  );
  return `<table id="findings"><thead><tr><th>#</th><th class="l">the paper's finding</th><th class="l">computed on</th><th class="l">this run's statistic</th><th>verdict</th></tr></thead>
<tbody>${rows.join('\n') || '<tr><td colspan="5">no experiment ran</td></tr>'}</tbody></table>`;
}

function modelsTable(input: ReportInput): string {
  const names = [...new Set(input.sweeps.filter((s) => !s.skipped).map((s) => s.model))];
  const rows = names.map((name) => {
    const info = input.models.get(name);
    const meta = input.sweeps
      .map((s) => input.results.get(s.spec.output))
      .find((r) => r?.metadata.model.name === name)?.metadata;
    const cell = (v: unknown) => `<td>${v === undefined ? '—' : esc(v)}</td>`;
    return `<tr><td class="l">${esc(name)}</td>${cell(info?.family)}${cell(info ? info.parameters.toLocaleString('en') : undefined)}${cell(info?.vocabSize ?? meta?.vocabSize)}${cell(info?.dtype)}${cell(info?.device)}<td class="l mono">${esc(info?.identity ?? meta?.model.hash ?? '—')}</td></tr>`;
  });
  return `<table id="models"><thead><tr><th class="l">model</th><th>family</th><th>parameters</th><th>vocabulary</th><th>dtype</th><th>device</th><th class="l">identity (config and weights hash)</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function sweepsTable(input: ReportInput, outDir: string): string {
  const rows = input.summary.sweeps.map((o) => {
    const reasons = Object.entries(o.stopReasons)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const budget = o.stopReasons.budget ?? 0;
    const link =
      o.status === 'skipped'
        ? esc(o.reason ?? '')
        : `<a href="${esc(relative(outDir, o.output))}">${esc(relative(outDir, o.output))}</a>`;
    return `<tr><td class="l">${esc(o.experiment)}</td><td class="l">${esc(o.model)}</td><td class="l">${esc(o.status)}</td><td>${o.rows}</td><td>${budget}</td><td class="l">${esc(reasons)}</td><td>${o.wallMs ? seconds(o.wallMs) : '—'}</td><td class="l">${link}</td></tr>`;
  });
  return `<table id="sweeps"><thead><tr><th class="l">experiment</th><th class="l">model</th><th class="l">status</th><th>rows</th><th>hit the budget</th><th class="l">stop reasons</th><th>wall time</th><th class="l">results (Arrow)</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

/** The lowest-KL hard prompts of each hard or hybrid method, as text. */
function bestPrompts(records: readonly StoredRunRecord[], perMethod = 5): string {
  const hard = records.filter((r) => r.pattern.includes('H') && r.promptIds && Number.isFinite(r.klNats));
  if (hard.length === 0) return '';
  const methods = [...new Set(hard.map((r) => methodLabel(r.method as MethodName, r.pattern, r.candidates)))];
  const rows = methods.flatMap((m) =>
    hard
      .filter((r) => methodLabel(r.method as MethodName, r.pattern, r.candidates) === m)
      .sort((a, b) => a.klNats - b.klNats)
      .slice(0, perMethod)
      .map(
        (r) =>
          `<tr><td class="l">${esc(m)}</td><td class="l">${esc(r.targetId)}</td><td>${r.klNats.toFixed(4)}</td><td class="l mono">${r.promptText === null ? esc(`ids ${r.promptIds!.join(' ')}`) : esc(JSON.stringify(r.promptText))}</td></tr>`,
      ),
  );
  return `<table class="prompts"><thead><tr><th class="l">method</th><th class="l">target</th><th>KL (nats)</th><th class="l">best prompt (hard positions; soft ones are not text)</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

/**
 * What the study file's description is to this run: the paper's sizes (targets, inits, epochs) are
 * the run's only at paper scale; a smoke run's own are in its specs, below the figures.
 */
function setupOf(scale: string): string {
  return scale === 'paper'
    ? '<i>The paper, as this run:</i>'
    : `<i>The paper</i> (this run is at ${esc(scale)} scale, with fewer targets, inits and epochs: its specs are below the figures):`;
}

/** `text` ending as a sentence does, so that what follows it does not run into it. */
const sentence = (text: string): string => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

function studySection(input: ReportInput, study: string): string {
  const sweeps = input.sweeps.filter((s) => s.study.name === study);
  const file = sweeps[0].study;
  const experiments = new Set(sweeps.map((s) => s.experiment));
  const findings = input.summary.findings.filter((f) => [...experiments].some((e) => f.scope.startsWith(`${e} · `)));
  const thisRun = findings.length
    ? findings.map((f) => `${f.id} (${f.scope}): ${f.verdict} — ${f.statistic}`).join('; ')
    : 'no finding computed on this experiment';
  const figures = input.summary.figures
    .filter((f) => f.study === study)
    .map(
      (f) =>
        `<figure id="fig-${esc(f.group)}-${esc(f.id)}">${inlineSvg(f.svg)}<figcaption><b>${esc(f.title)}</b> ` +
        // A figure beyond the paper says what it shows in its caption, where the others cite the
        // paper's figure; what the paper found and this run shows is said once, above the figures.
        (f.caption
          ? `(${esc(f.group)}; ${esc(f.paperFigure)}). ${esc(f.caption)} `
          : `(${esc(f.group)}; the paper's ${esc(f.paperFigure)}). `) +
        `<a href="${esc(relative(input.summary.outDir, f.svgPath))}">SVG</a> · <a href="${esc(relative(input.summary.outDir, f.pngPath))}">PNG</a></figcaption></figure>`,
    );
  const specs = sweeps.map((s) => {
    const shown = { ...scientificSpec(s.spec), device: s.spec.device };
    return `<details><summary>spec of ${esc(s.experiment)} on ${esc(s.model)} (hash ${specHash(s.spec).slice(0, 12)}…)${s.skipped ? ` — not run: ${esc(s.skipped)}` : ''}</summary><pre>${esc(JSON.stringify(shown, null, 2))}</pre></details>`;
  });
  const prompts = sweeps.map((s) => {
    const r = input.results.get(s.spec.output);
    const table = r ? bestPrompts(r.records) : '';
    return table ? `<h4>Best hard prompts: ${esc(s.experiment)} on ${esc(s.model)}</h4>${table}` : '';
  });
  return `<section id="study-${esc(study)}"><h2>${esc(study)}</h2>
<p>${setupOf(input.summary.scale)} ${esc(sentence(file.describes))}${file.optimiser ? ` Optimiser: ${esc(file.optimiser)}.` : ''}${file.needs ? ` Needs ${esc(file.needs)}.` : ''}</p>
<p class="findings"><i>The paper:</i> ${esc(claimsOf(study).join('; ') || '—')}. <i>This run:</i> ${esc(thisRun)}.</p>
${figures.join('\n') || '<p>No figure: the results of this study do not support one (see the sweeps table).</p>'}
${prompts.join('\n')}
${specs.join('\n')}
</section>`;
}

/** The build facts a reader checks first; the whole record stays in each Arrow file's metadata. */
function buildLine(build: unknown): string {
  if (build === null || typeof build !== 'object') return '—';
  const b = build as Record<string, unknown>;
  const parts = [
    `libtorch ${b.torchVersion ?? '?'}`,
    b.cudaBuild ? `CUDA (${b.cudaDevices ?? 0} devices)` : 'CPU only',
    b.mkl ? 'MKL' : 'no MKL',
  ];
  if (b.klCpuKernel) parts.push(`KL kernel ${b.klCpuKernel}`);
  if (b.threads) parts.push(`${b.threads} threads`);
  return parts.join(', ');
}

export function renderStudyReport(input: ReportInput): string {
  const { summary } = input;
  const outDir = summary.outDir;
  const meta = [...input.results.values()][0]?.metadata;
  const studies = [...new Set(input.sweeps.map((s) => s.study.name))];
  const facts: Array<[string, string]> = [
    ['studies', studies.join(', ')],
    ['scale', summary.scale],
    ['date', new Date().toISOString()],
    ['wall time', seconds(summary.wallMs)],
    ['distprompt', VERSION],
    ['build', buildLine(meta?.build)],
  ];
  const title = `distprompt study: ${studies.join(', ')} (${summary.scale} scale)`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right;vertical-align:top}
th{background:#f3f3f3}td.l,th.l{text-align:left}.mono{font-family:ui-monospace,monospace;font-size:.9em}
td.v{font-weight:600;white-space:nowrap}.ok{background:#e3f5e1}.no{background:#fbe3e0}.na{background:#f1f1f1;color:#666}.me{background:#e6eefb}
figure{margin:2rem 0}figcaption{color:#444;max-width:60rem}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dt{font-weight:600}dd{margin:0;word-break:break-all}pre{background:#f7f7f7;padding:.5rem;overflow:auto}
</style></head>
<body>
<h1>${esc(title)}</h1>
<h2>Findings</h2>
<p>Each finding of the paper, the statistic this run computed for it, and the verdict that follows by the rule in
lib/study/findings.ts: paired comparisons hold at a one-sided sign test p &lt; 0.05 with the mean gap in the claim's direction.</p>
${findingsTable(input.summary.findings)}
<dl>${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
<h2>Models</h2>
${modelsTable(input)}
<h2>Sweeps</h2>
${sweepsTable(input, outDir)}
${studies.map((s) => studySection(input, s)).join('\n')}
</body></html>
`;
}

/** Writes `<outDir>/report.html`; returns its path. */
export async function writeStudyReport(input: ReportInput): Promise<string> {
  const path = join(input.summary.outDir, 'report.html');
  await writeAtomic(path, new TextEncoder().encode(renderStudyReport(input)));
  return path;
}
