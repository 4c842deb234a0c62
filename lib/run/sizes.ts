// A sweep's sizes checked before they are allocated: the rows the tuner holds at once (with the
// model's weights, at load: lib/model/size-check.ts) and the targets, which are made whole
// (targets × vocabulary floats, twice: made, then uploaded).
import { availableBytes, formatBytes, type RowsToFit } from '../model/size-check.js';
import { resolveMethods, SpecError, type SweepSpec } from '../spec/index.js';

/** The rows a sweep holds at once: its fixed batch size, else one row (an automatic batch fits what is free). */
export function rowsToFit(spec: SweepSpec): RowsToFit {
  const fixed = typeof spec.batchSize === 'number';
  return {
    rows: fixed ? (spec.batchSize as number) : 1,
    positions: spec.prefixLength,
    candidates: Math.max(1, ...resolveMethods(spec).map((m) => m.candidates)),
    field: fixed ? 'batchSize' : 'prefixLength',
  };
}

/** Refuses targets whose distributions do not fit in the memory free on `device`. */
export function checkTargetsFit(targets: number, vocab: number, device: string, free = availableBytes(device)): void {
  const need = targets * vocab * 4 * 2;
  if (free === undefined || need <= free) return;
  throw new SpecError([
    {
      path: 'targets',
      message: `${targets.toLocaleString('en-US')} targets over ${vocab.toLocaleString('en-US')} tokens need ${formatBytes(need)}, more than the ${formatBytes(free)} free on ${device}: use fewer targets (a larger entropy step, a smaller count) or split the sweep into shards`,
    },
  ]);
}
