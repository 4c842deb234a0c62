// What a model will take before any of it is allocated: its weights from the config alone, plus
// the tuner's memory for the rows it will hold at once, against what the device has free. A
// config that asks for more (n_layer: 10^9, a 70B model on a 24 GB machine) is refused at once,
// naming the config.json keys that make it big, instead of growing until the machine runs out.
import type { NativeDtype, NativeModelConfig } from '../native/types-model.js';
import { availableDeviceBytes, bytesPerRow } from './memory.js';
import type { ModelInfo } from './info.js';
import { configKey } from './config-checks.js';
import { ModelConfigError } from './config.js';
import { ArgumentError } from '../io/argument-error.js';
import { STUDY_DEFAULTS } from '../spec/defaults.js';
import { shown } from '../spec/fields.js';

/** Rows the tuner will hold at once, and what they are (the tuner's per-row memory depends on it). */
export interface RowsToFit {
  rows: number;
  positions: number;
  /** HotFlip candidates per hard position (default 1, tune()'s: soft rows, and HotFlip's linearised argmin) */
  candidates?: number;
  /** the spec field or flag that sets `rows` (named when the rows are what does not fit) */
  field: string;
}

/** Candidates where `rows` leaves them out: tune()'s default. */
export const rowCandidates = (r: RowsToFit): number => r.candidates ?? STUDY_DEFAULTS.candidates;

/** loadModel's `rows`: each count a positive integer, as the size check multiplies them (candidates may be left out). */
export function checkRowsToFit(r: unknown): void {
  if (r === undefined) return;
  const o = r as Record<string, unknown>;
  const counts = ['rows', 'positions', ...(o?.candidates === undefined ? [] : ['candidates'])];
  const bad =
    r === null || typeof r !== 'object'
      ? `an object { rows, positions, candidates?, field }`
      : counts.find((k) => !Number.isInteger(o[k]) || (o[k] as number) < 1);
  if (bad === undefined && typeof o.field === 'string' && o.field !== '') return;
  const what =
    bad === undefined
      ? `rows.field must name what sets the rows (a spec field or flag, e.g. 'batchSize'), got ${shown(o.field)}`
      : bad.startsWith('an object')
        ? `rows must be ${bad}, got ${shown(r)}`
        : `rows.${bad} must be a positive integer, got ${shown(o[bad])}`;
  throw new ModelConfigError(`loadModel: ${what}`);
}

const BYTES: Record<NativeDtype, number> = { float32: 4, bfloat16: 2, float16: 2 };

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toPrecision(3)} ${units[i]}`;
}

/** Parameters of the layers and of the embeddings (token, position, an untied head), from the config. */
export function parameterCounts(c: NativeModelConfig): { perLayer: number; embeddings: number } {
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  const attention = c.hiddenSize * (q + 2 * kv) + q * c.hiddenSize;
  const mlp = (c.gatedMlp ? 3 : 2) * c.hiddenSize * c.intermediateSize;
  const small = 4 * c.hiddenSize + q + 2 * kv + c.intermediateSize; // norms and biases, at most
  const head = c.tiedEmbeddings ? 0 : c.vocabSize * c.hiddenSize;
  const positions = c.position === 'learned' ? c.maxPositions * c.hiddenSize : 0;
  return {
    perLayer: attention + mlp + small,
    embeddings: c.vocabSize * c.hiddenSize + head + positions + 2 * c.hiddenSize,
  };
}

/** Bytes of a model's weights in `dtype`, from its config. */
export function weightBytes(c: NativeModelConfig, dtype: NativeDtype): number {
  const { perLayer, embeddings } = parameterCounts(c);
  return (perLayer * c.layers + embeddings) * BYTES[dtype];
}

/** availableDeviceBytes (what the automatic batch plans against), undefined on a device this build lacks. */
export function availableBytes(device: string): number | undefined {
  try {
    return availableDeviceBytes(device);
  } catch {
    return undefined;
  }
}

/**
 * Refuses a model whose weights (in `dtype`) plus `rows` of the tuner do not fit in the memory
 * free on `device`; the message names the config.json keys (or the spec field) and both sizes.
 */
export function checkModelFits(
  c: NativeModelConfig,
  o: { device: string; dtype: NativeDtype; rows?: RowsToFit; free?: number },
): void {
  const free = o.free ?? availableBytes(o.device);
  if (free === undefined) return;
  const { perLayer, embeddings } = parameterCounts(c);
  const unit = BYTES[o.dtype];
  const layerBytes = perLayer * c.layers * unit;
  const embedBytes = embeddings * unit;
  const weights = weightBytes(c, o.dtype);
  const info = { dtype: o.dtype, vocabSize: c.vocabSize, hiddenSize: c.hiddenSize, layers: c.layers, config: c };
  const perRow = o.rows ? bytesPerRow(info as ModelInfo, o.rows.positions, rowCandidates(o.rows)) : 0;
  const rows = o.rows ? perRow * o.rows.rows : 0;
  if (weights + rows <= free) return;
  const key = (f: keyof NativeModelConfig) => `'${configKey(c.family, f)}' ${c[f] as number}`;
  const parts = [
    `${key('layers')} layers of ${formatBytes(perLayer * unit)} (${key('hiddenSize')}, ${key('intermediateSize')})`,
    `${formatBytes(embedBytes)} of embeddings (${key('vocabSize')} × ${key('hiddenSize')})`,
  ];
  if (layerBytes < embedBytes) parts.reverse();
  const why =
    weights > free
      ? `the model's ${o.dtype} weights need ${formatBytes(weights)} (${parts.join(', ')})`
      : `the model's weights (${formatBytes(weights)}) and ${o.rows!.rows} rows at once (${o.rows!.field}; ${formatBytes(perRow)} per row) need ${formatBytes(weights + rows)}`;
  const todo =
    weights > free
      ? 'check these config.json keys, use a smaller model, another dtype or a device with more memory'
      : `lower ${o.rows!.field}`;
  throw new ModelConfigError(
    `${weights > free ? 'config.json: ' : ''}${why}, more than the ${formatBytes(free)} of memory free on ${o.device}: ${todo}`,
  );
}

/**
 * Bytes a forward pass over a user's batch needs at its peak: `outPerRow` float32 values a row
 * coming back (held twice: on the device and in the array returned), and one layer's activations
 * at a time, as a forward keeps none for a backward (q, k, v and the residual, the MLP's
 * intermediate, the attention scores).
 */
export function forwardBytes(info: ModelInfo, rows: number, positions: number, outPerRow: number): number {
  const c = info.config;
  const layer = positions * (4 * c.hiddenSize + c.intermediateSize + c.heads * positions) * BYTES[info.dtype];
  return rows * (outPerRow * 4 * 2 + layer);
}

/**
 * Refuses a call on a user's batch (Model.logits, hidden, embed, klGradient) whose `bytes` do not
 * fit in what is free on the model's device, before anything is allocated: unchecked, a huge
 * rows × positions asked libtorch for all of it, which with no memory cap set grew until the
 * machine ran out.
 */
export function checkCallFits(
  info: ModelInfo,
  what: string,
  a: { rows: number; positions: number },
  bytes: number,
  free = availableBytes(info.device),
): void {
  if (free === undefined || bytes <= free) return;
  throw new ArgumentError(
    `${what}: ${a.rows} rows × ${a.positions} positions need about ${formatBytes(bytes)} on ${info.device}, ` +
      `more than the ${formatBytes(free)} of memory free there: pass fewer rows at a time`,
  );
}
