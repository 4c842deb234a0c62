// Targets from a file: the JSON that `distprompt targets` writes ({ vocabSize, meta, targets:
// number[][] }) or a bare array of rows. Read once per path; every row is validated.
import { readFileSync } from 'node:fs';

import { TargetError } from './maths.js';
import { validateTargets } from './validate.js';

export interface TargetFile {
  data: Float32Array;
  rows: number;
  ids: string[];
}

const cache = new Map<string, { rows: number[][]; ids?: string[] }>();

function load(path: string): { rows: number[][]; ids?: string[] } {
  const hit = cache.get(path);
  if (hit) return hit;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TargetError(`targets file ${path}: cannot read it as JSON (${(e as Error).message})`);
  }
  const obj = json as { targets?: unknown; meta?: { id: string }[] };
  const rows = Array.isArray(json) ? json : obj.targets;
  if (!Array.isArray(rows) || rows.length === 0) throw new TargetError(`targets file ${path}: no rows (expected { targets: number[][] } or number[][])`);
  const out = { rows: rows as number[][], ids: Array.isArray(json) ? undefined : obj.meta?.map((m) => m.id) };
  cache.set(path, out);
  return out;
}

export function targetFileCount(path: string): number {
  return load(path).rows.length;
}

export function readTargetFile(path: string, vocab: number): TargetFile {
  const { rows, ids } = load(path);
  const data = new Float32Array(rows.length * vocab);
  rows.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== vocab) throw new TargetError(`targets file ${path}: target ${r} has ${row?.length} values, the model's vocabulary ${vocab}`);
    data.set(row, r * vocab);
  });
  validateTargets(data, rows.length, vocab, { names: ids });
  return { data, rows: rows.length, ids: ids ?? rows.map((_, i) => `target:${i}`) };
}
