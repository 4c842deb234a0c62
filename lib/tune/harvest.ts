// A native harvest (column arrays over the harvested slots) → one TuneRecord per row. Pure: the
// clock and the tokenizer come in as arguments, so it is tested on hand-made harvests.
import type { NativeHarvest } from '../native/types-tuner.js';
import { STOP_REASONS } from './stop-reasons.js';
import type { TuneSettings } from '../spec/tune-options.js';
import type { TuneRecord } from './record.js';
import type { ResolvedTargets } from './targets-input.js';

/** A row as the tuner runs it: every optional field of TuneRow filled in. */
export interface PlannedRow {
  targetIndex: number;
  initId: number;
  rowId: string;
  seed: number;
  /** deterministic mode: the rows sharing a group run as one batch */
  group?: number | string;
}

export interface HarvestContext {
  settings: Pick<TuneSettings, 'method' | 'candidates' | 'prefixLength' | 'returnSoftPrompt'> & { pattern: string };
  targets: Pick<ResolvedTargets, 'ids' | 'entropyBits'>;
  hiddenSize: number;
  /** hard positions as text (soft ones ⟨soft⟩); null without a tokenizer */
  decode: (ids: Int32Array) => string | null;
  /** performance.now() at harvest */
  now: number;
  /** the reason of rows harvested while still running (an abort); default 'aborted' */
  runningReason?: 'aborted';
}

/** `rows[j]` is the row of the j-th harvested slot, with the time it was loaded. */
export function recordsFromHarvest(
  h: NativeHarvest,
  rows: readonly { row: PlannedRow; started: number }[],
  c: HarvestContext,
): TuneRecord[] {
  const L = c.settings.prefixLength;
  const d = c.hiddenSize;
  return rows.map(({ row, started }, j): TuneRecord => {
    const ids = h.bestIds.slice(j * L, (j + 1) * L);
    return {
      rowId: row.rowId,
      targetIndex: row.targetIndex,
      targetId: c.targets.ids[row.targetIndex],
      initId: row.initId,
      seed: row.seed,
      method: c.settings.method,
      pattern: c.settings.pattern,
      candidates: c.settings.candidates,
      prefixLength: L,
      klNats: h.bestLoss[j],
      bestEpoch: h.bestEpoch[j],
      epochs: h.epochs[j],
      // A harvested row still running was cut short (the caller aborted).
      stopReason:
        h.reason[j] === 0 ? (c.runningReason ?? 'aborted') : (STOP_REASONS[h.reason[j]] as TuneRecord['stopReason']),
      modelEntropyBits: h.modelEntropyBits[j],
      maxAbsLogit: h.maxAbsLogit[j],
      targetEntropyBits: c.targets.entropyBits[row.targetIndex],
      promptIds: ids,
      finalIds: h.currentIds.slice(j * L, (j + 1) * L),
      // A pattern without an H (soft, or a hybrid of S only) has no token to show.
      promptText: c.settings.pattern.includes('H') ? c.decode(ids) : null,
      softPrompt:
        c.settings.returnSoftPrompt && c.settings.pattern.includes('S')
          ? h.bestSoft.slice(j * L * d, (j + 1) * L * d)
          : null,
      wallMs: c.now - started,
    };
  });
}
