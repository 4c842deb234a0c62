// Targets from a file: the JSON that `distprompt targets` writes ({ vocabSize, meta, targets:
// number[][] }) or a bare array of rows; an Arrow IPC file (.arrow: a `target` list column, an
// optional `id`); or safetensors (.safetensors: a 2-D F32 tensor `targets`). Read once per
// path; every row is validated.
import { readFileSync } from 'node:fs';

import { tableFromIPC } from 'apache-arrow';

import { TargetError } from './maths.js';
import { validateTargets } from './validate.js';

export interface TargetFile {
  data: Float32Array;
  rows: number;
  ids: string[];
}

const cache = new Map<string, { rows: number[][]; ids?: string[] }>();

function fromJson(path: string): { rows: number[][]; ids?: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TargetError(`targets file ${path}: cannot read it as JSON (${(e as Error).message})`);
  }
  const obj = json as { targets?: unknown; meta?: { id: string }[] };
  const rows = Array.isArray(json) ? json : obj.targets;
  if (!Array.isArray(rows) || rows.length === 0) throw new TargetError(`targets file ${path}: no rows (expected { targets: number[][] } or number[][])`);
  return { rows: rows as number[][], ids: Array.isArray(json) ? undefined : obj.meta?.map((m) => m.id) };
}

// Arrow IPC (file or stream): a column `target` (list of floats, one row per target) and
// optionally `id`.
function fromArrow(path: string): { rows: number[][]; ids?: string[] } {
  const table = tableFromIPC(readFileSync(path));
  const col = table.getChild('target');
  if (!col) throw new TargetError(`targets file ${path}: no 'target' column (a list of probabilities per row)`);
  const rows = Array.from({ length: table.numRows }, (_, i) => Array.from(col.get(i) as Iterable<number>));
  const ids = table.getChild('id');
  return { rows, ids: ids ? Array.from({ length: table.numRows }, (_, i) => String(ids.get(i))) : undefined };
}

// safetensors: one 2-D F32 tensor named `targets` [rows, vocab].
function fromSafetensors(path: string): { rows: number[][]; ids?: string[] } {
  const buf = readFileSync(path);
  if (buf.length < 8) throw new TargetError(`targets file ${path}: too short for safetensors`);
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw new TargetError(`targets file ${path}: header length ${n} runs past the end of the file`);
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const t = header.targets;
  if (!t || t.dtype !== 'F32' || t.shape.length !== 2) throw new TargetError(`targets file ${path}: needs a 2-D F32 tensor named 'targets'`);
  const [r, v] = t.shape;
  const [b, e] = t.data_offsets;
  if (e - b !== r * v * 4 || 8 + n + e > buf.length) throw new TargetError(`targets file ${path}: 'targets' byte span does not fit ${r}×${v} F32`);
  const data = new Float32Array(new Uint8Array(buf.subarray(8 + n + b, 8 + n + e)).buffer);
  return { rows: Array.from({ length: r }, (_, i) => Array.from(data.subarray(i * v, (i + 1) * v))) };
}

function load(path: string): { rows: number[][]; ids?: string[] } {
  const hit = cache.get(path);
  if (hit) return hit;
  const out = /\.(arrow|feather|ipc)$/i.test(path) ? fromArrow(path) : /\.safetensors$/i.test(path) ? fromSafetensors(path) : fromJson(path);
  if (out.rows.length === 0) throw new TargetError(`targets file ${path}: no rows`);
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
