// tune()'s inputs besides its settings (options.ts): the options object itself, the signal and the
// free bytes to size a batch from (the positions a prompt takes: lib/model/positions.ts). Checked before any work, as
// the settings are, so that a wrong one names itself instead of failing deep in a run.
import { Model } from '../model/model.js';
import { formatBytes } from '../model/size-check.js';
import { shown, signalProblem } from '../spec/fields.js';
import { availableDeviceBytes, bytesPerRow } from '../model/memory.js';
import { tuneOptionsError } from '../spec/tune-options.js';

const invalid = (field: string, message: string) => tuneOptionsError([{ path: field, message }]);

/** The model and options object a script passed: a loaded Model, and an object holding at least `targets`. */
export function tuneOptionsObject(model: unknown, options: unknown): Record<string, unknown> {
  if (!(model instanceof Model))
    throw invalid('(model)', `tune(model, options) needs a Model from loadModel, got ${shown(model)}`);
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw invalid('(options)', `tune(model, options) needs an options object with targets, got ${shown(options)}`);
  return options as Record<string, unknown>;
}

type IdsField = 'banned' | 'contextBefore' | 'contextAfter';

export function checkTuneInputs(
  o: { signal?: unknown; freeBytes?: unknown } & Partial<Record<IdsField, unknown>>,
  vocab: number,
): void {
  const problem = signalProblem(o.signal);
  if (problem) throw invalid('signal', problem);
  // Read as given, a string or a Float32Array banned the ids its elements became ('x' banned
  // token 0, 1.5 token 1), and an id past the vocabulary counted towards banning every token.
  // The context ids reached the addon unchecked, whose bare TypeError or RangeError named no option.
  for (const field of ['banned', 'contextBefore', 'contextAfter'] as const) {
    const ids = o[field];
    if (ids === undefined) continue;
    if (!(ids instanceof Int32Array))
      throw invalid(field, `must be an Int32Array of token ids (Int32Array.from([...])), got ${shown(ids)}`);
    const at = ids.findIndex((id) => id < 0 || id >= vocab);
    if (at >= 0) throw invalid(field, `${field}[${at}] is token id ${ids[at]}, outside the vocabulary [0, ${vocab})`);
  }
  const free = o.freeBytes;
  if (free !== undefined && (typeof free !== 'number' || !Number.isFinite(free) || free <= 0))
    throw invalid('freeBytes', `expected a finite number of bytes above 0, got ${shown(free)}`);
}

/**
 * A deterministic batch cannot halve on out of memory (oom.ts), so it must fit in what the device
 * has free, by the estimate the automatic batch and a sweep's size check use: the native tuner
 * would otherwise allocate it (gigabytes, for seconds) and fail with an allocator message naming
 * no option. Other fixed batches halve until they fit.
 */
export function checkBatchFits(
  model: Model,
  slots: number,
  positions: number,
  candidates: number,
  freeBytes?: number,
): void {
  const perRow = bytesPerRow(model.info, positions, candidates);
  const free = freeBytes ?? availableDeviceBytes(model.info.device);
  if (slots * perRow <= free) return;
  throw invalid(
    'batchSize',
    `${slots} rows at once need ${formatBytes(slots * perRow)} (${formatBytes(perRow)} per row), more than the ` +
      `${formatBytes(free)} free on ${model.info.device}, and a deterministic batch cannot halve: lower batchSize`,
  );
}
