// headBoundOf(head, targets): the same bound for an output layer given as plain arrays —
// for studying a head without a checkpoint, and for the solver's tests on tiny heads.
import { withCallerStack } from '../native/errors.js';
import { native } from '../native/index.js';
import type { HeadSpec } from '../native/types-bound.js';
import { refuseUnknownKeys } from '../spec/fields.js';
import { resolveTargets, type TuneTargets } from '../tune/targets-input.js';
import { cancellable } from '../native/cancel.js';
import { boundRecords, nativeBoundOptions, type HeadBoundRecord } from './head-bound.js';
import { BoundOptionsError, parseBoundOptions, type BoundOptions } from './options.js';

export type { HeadSpec };

/** HeadSpec's fields, as the compiler checks them against the interface. */
const HEAD_FIELDS: Record<keyof HeadSpec, true> = {
  W: true,
  vocab: true,
  hidden: true,
  norm: true,
  gamma: true,
  beta: true,
  bias: true,
  device: true,
};

function check(name: string, a: Float32Array | undefined, want: number): void {
  if (a === undefined) return;
  if (!(a instanceof Float32Array)) throw new BoundOptionsError(`head.${name} must be a Float32Array`);
  if (a.length !== want) throw new BoundOptionsError(`head.${name} has ${a.length} values; expected ${want}`);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new BoundOptionsError(`head.${name}[${i}] is ${a[i]}, not a finite number`);
  }
}

export async function headBoundOf(
  head: HeadSpec,
  /** as headBound's: a rows×vocab Float32Array, a NativeTensor or a target set */
  targets: TuneTargets,
  options?: BoundOptions,
): Promise<HeadBoundRecord[]> {
  const o = parseBoundOptions(options);
  // A misspelt field ('bais') would be dropped and the bound solved for another head.
  refuseUnknownKeys('headBoundOf', head, HEAD_FIELDS, (m) => new BoundOptionsError(m), 'field');
  const { vocab, hidden } = head;
  if (!Number.isInteger(vocab) || vocab < 2)
    throw new BoundOptionsError(`head.vocab must be an integer of at least 2, got ${vocab}`);
  if (!Number.isInteger(hidden) || hidden < 1)
    throw new BoundOptionsError(`head.hidden must be a positive integer, got ${hidden}`);
  if (head.norm !== 'layernorm' && head.norm !== 'rmsnorm') {
    throw new BoundOptionsError(`head.norm must be 'layernorm' or 'rmsnorm', got ${JSON.stringify(head.norm)}`);
  }
  if (head.norm === 'rmsnorm' && head.beta)
    throw new BoundOptionsError('head.beta is for a LayerNorm; an RMSNorm has no shift');
  check('W', head.W, vocab * hidden);
  check('gamma', head.gamma, hidden);
  check('beta', head.beta, hidden);
  check('bias', head.bias, vocab);
  const t = resolveTargets(targets, vocab, o.targetIds);
  const device = head.device ?? 'cpu';
  const solver = nativeBoundOptions(o, device, t.count);
  const r = await cancellable(o.signal, 'headBoundOf', (cancel) =>
    withCallerStack('headBoundOf', () =>
      native().headBoundOf({
        ...solver,
        ...(cancel ? { cancel } : {}),
        W: head.W,
        vocab,
        hidden,
        norm: head.norm,
        ...(head.gamma ? { gamma: head.gamma } : {}),
        ...(head.beta ? { beta: head.beta } : {}),
        ...(head.bias ? { bias: head.bias } : {}),
        // The resolved table: a target set's tensor, not the set.
        targets: t.data,
        device,
      }),
    ),
  );
  return boundRecords(r, t.ids, t.entropyBits, o, hidden, vocab);
}
