// Every figure the results support, written as SVG files.

import { basename, join } from 'node:path';
import { writeAtomic } from '../io/atomic.js';
import { checkOutputFolder, makeOutputFolder } from '../io/folder.js';
import { shown } from '../spec/fields.js';
import { readResults, ResultsError, type Results } from '../results/index.js';
import type { PlotRecord } from '../analysis/best.js';
import { checkFigureOptions, type FigureOptions } from './figure-options.js';
import { allFigures } from './registry.js';
import { renderSvg } from './render.js';
import { ArgumentError } from '../io/argument-error.js';

/**
 * What to draw: an Arrow results file, several (a series per model, or per sweep where one model
 * has several), `readResults`' value, or records.
 */
export type PlotInput = readonly PlotRecord[] | Pick<Results, 'records'> | string | readonly string[];

/** `input`'s records; `owner` (the function called) names a value of another shape. */
export async function loadPlotRecords(input: PlotInput, owner: string): Promise<PlotRecord[]> {
  if (typeof input === 'string') return loadFiles([input]);
  if (Array.isArray(input)) {
    const items = input as readonly unknown[];
    if (items.length > 0 && items.every((x) => typeof x === 'string')) return loadFiles(items as string[]);
    if (items.every((x) => typeof x === 'object' && x !== null)) return [...(items as PlotRecord[])];
  } else if (typeof input === 'object' && input !== null && Array.isArray((input as Results).records))
    return [...(input as Results).records];
  // A value of another shape would fail deep inside a figure with a message about its internals.
  throw new ArgumentError(
    `${owner}: the results to draw must be a results file's path, a list of paths, readResults' value or its records; got ${describeInput(input)}`,
  );
}

function describeInput(x: unknown): string {
  if (Array.isArray(x))
    return `a list of ${[...new Set(x.map((i) => (i === null ? 'null' : typeof i)))].join(' and ')}`;
  return x === null ? 'null' : typeof x === 'object' ? 'an object without records' : `${typeof x} ${String(x)}`;
}

async function loadFiles(paths: readonly string[]): Promise<PlotRecord[]> {
  const files = await Promise.all(paths.map((p) => readResults(p)));
  // Files without rows would make an empty report (a shard of few rows may hold none: beside
  // the others it adds nothing).
  if (files.every((f) => f.records.length === 0))
    throw new ResultsError(
      `${paths.join(', ')} ${paths.length > 1 ? 'hold' : 'holds'} no result rows: nothing to draw; give a sweep's finished results`,
    );
  refusePartialSplits(paths, files);
  const series = seriesOf(paths, files);
  refuseRepeatedRows(paths, files, series);
  const several = new Set(series).size > 1;
  return files.flatMap((f, i) => f.records.map((r) => (several ? { ...r, model: series[i] } : r)));
}

/**
 * Each file's series: its model, or, where one model's files come from more than one sweep (its
 * vanilla and its methods results, say), the model and that sweep's first file. Two sweeps plan
 * the same target ids, so one series would pool their rows; shards of one sweep share a series.
 */
function seriesOf(paths: readonly string[], files: readonly Results[]): string[] {
  const sweepsOf = new Map<string, Map<string, string>>();
  files.forEach((f, i) => {
    const model = f.metadata.model.name;
    const sweeps = sweepsOf.get(model) ?? new Map<string, string>();
    if (!sweeps.has(f.metadata.specHash)) sweeps.set(f.metadata.specHash, `${model} · ${basename(paths[i], '.arrow')}`);
    sweepsOf.set(model, sweeps);
  });
  return files.map((f) => {
    const sweeps = sweepsOf.get(f.metadata.model.name)!;
    return sweeps.size > 1 ? sweeps.get(f.metadata.specHash)! : f.metadata.model.name;
  });
}

/**
 * A shard file holds a slice of its sweep: drawn without the other shards of its split, its means,
 * medians and counts would pass for the whole sweep's (as a journal's would, which readResults
 * refuses). Every shard of the split given together is the sweep.
 */
function refusePartialSplits(paths: readonly string[], files: readonly Results[]): void {
  const splits = new Map<string, { count: number; given: Map<number, string> }>();
  files.forEach((f, i) => {
    const shard = f.metadata.shard;
    if (!shard) return;
    const key = `${f.metadata.model.hash}\u0000${f.metadata.specHash}\u0000${shard.count}`;
    const split = splits.get(key) ?? { count: shard.count, given: new Map<number, string>() };
    split.given.set(shard.index, paths[i]);
    splits.set(key, split);
  });
  for (const { count, given } of splits.values()) {
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !given.has(i));
    if (missing.length === 0) continue;
    const [index, path] = [...given][0];
    throw new ResultsError(
      `${path} is shard ${index} of ${count} of its sweep, and ${missing.length > 1 ? `shards ${missing.join(', ')} of it are` : `shard ${missing[0]} of it is`} not given: a figure of some shards would pass for the whole sweep; join them with 'distprompt merge' and draw the merged file (or give every shard file)`,
    );
  }
}

/**
 * A series' rows count once each, so a row given twice in one series (the same file named twice,
 * a copy, a shard beside its merged file) would count twice in every mean and standard error.
 */
function refuseRepeatedRows(paths: readonly string[], files: readonly Results[], series: readonly string[]): void {
  const owner = new Map<string, number>();
  files.forEach((f, i) => {
    for (const r of f.records) {
      const key = `${series[i]}\u0000${r.rowId}`;
      const first = owner.get(key);
      if (first === undefined) owner.set(key, i);
      else if (first !== i)
        throw new ResultsError(
          `${paths[i]} repeats row '${r.rowId}' of ${paths[first]} (model ${f.metadata.model.name}): give each results file once; shards of one sweep are joined with 'distprompt merge' first, not plotted beside the merged file`,
        );
    }
  });
}

export interface WrittenFigure {
  id: string;
  title: string;
  paperFigure: string;
  path: string;
}

/** Writes `<outDir>/<figure>.svg` for each figure the data supports; returns what it wrote. */
export async function plotAll(input: PlotInput, outDir: string, options: FigureOptions = {}): Promise<WrittenFigure[]> {
  checkFigureOptions('plotAll', options);
  if (typeof outDir !== 'string')
    throw new ArgumentError(
      `plotAll: give the folder to draw the figures in, e.g. plotAll(results, 'figures'), got ${shown(outDir)}`,
    );
  checkOutputFolder(outDir);
  const records = await loadPlotRecords(input, 'plotAll');
  await makeOutputFolder(outDir);
  const written: WrittenFigure[] = [];
  for (const figure of allFigures(records, options)) {
    const path = join(outDir, `${figure.id}.svg`);
    await writeAtomic(path, await renderSvg(figure));
    written.push({ id: figure.id, title: figure.title, paperFigure: figure.paperFigure, path });
  }
  return written;
}
