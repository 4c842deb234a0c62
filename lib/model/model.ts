// The Model users script against: a typed, promise-based wrapper over the native Transformer.
// Every method that touches weights runs on a worker thread; inputs are validated here first
// so that mistakes surface as clear errors before any native work is queued.
import { CheckpointError } from '../checkpoint/errors.js';
import type { FileStamp } from '../checkpoint/safetensors.js';
import { checkpointChange } from '../checkpoint/stamp.js';
import type { NativeModel, NativeTensor } from '../native/types-model.js';
import { described, refuseUnknownKeys } from '../spec/fields.js';
import { checkTargetRows, checkTargetTensor } from './target-rows.js';
import { bytesPerRow } from './memory.js';
import { checkArray, checkCount } from './arguments.js';
import { ArgumentError } from '../io/argument-error.js';
import { DisposedError, withCallerStack } from '../native/errors.js';
import type { ModelInfo } from './info.js';
import { checkCallFits, forwardBytes } from './size-check.js';

export type { ModelInfo } from './info.js';

/** A forward's inputs: token ids or soft prompts, exactly one of the two (a call given both or neither is refused). */
export type ForwardInput = {
  rows: number;
  positions: number;
  /** position of each input, rows×positions (default 0..positions-1) */
  positionIds?: Int32Array | undefined;
} & (
  | {
      /** token ids, rows×positions */
      ids: Int32Array;
      embeds?: undefined;
    }
  | {
      /** soft prompts, rows×positions×hidden */
      embeds: Float32Array;
      ids?: undefined;
    }
);

/** ForwardInput's fields, as the compiler checks them against the interface. */
const FORWARD_INPUT: Record<keyof ForwardInput, true> = {
  rows: true,
  positions: true,
  ids: true,
  embeds: true,
  positionIds: true,
};

/** embed()'s fields: token ids only. */
const EMBED_INPUT = { rows: true, positions: true, ids: true } as const;

/** Minimal tokenizer view the model needs (lib/tokenizer implements it). */
export interface ModelTokenizer {
  vocabSize: number;
  decode(ids: ArrayLike<number>): string;
  tokenText(id: number): string;
  tokensText(ids: ArrayLike<number>): string;
  specialIds: Set<number>;
  /** ids no token has (a vocabulary padded past its tokens); none where absent */
  unusedIds?: Set<number>;
}

export class Model {
  #native: NativeModel | undefined;
  readonly info: ModelInfo;
  readonly tokenizer: ModelTokenizer | undefined;
  /** directory the model was loaded from (checkpoints), for tools that need the files */
  readonly dir: string | undefined;
  readonly #stamps: readonly FileStamp[];

  constructor(
    nativeModel: NativeModel,
    info: ModelInfo,
    tokenizer?: ModelTokenizer,
    dir?: string,
    stamps: readonly FileStamp[] = [],
  ) {
    this.#native = nativeModel;
    this.info = info;
    this.tokenizer = tokenizer;
    this.dir = dir;
    this.#stamps = stamps;
  }

  /**
   * Whether a checkpoint file changed (size, modification time or inode) since the model was
   * loaded: a message naming the file, or null. Weights copied at load (another dtype, a GPU)
   * are unaffected, but zero-copy CPU weights view the file: a checkpoint must not change
   * while a model is loaded from it. One stat per file: cheap enough before every write.
   */
  checkpointChanged(): string | null {
    const c = checkpointChange(this.#stamps);
    return c && `${c.path}: ${c.what} since the model was loaded`;
  }

  /** Throws a CheckpointError naming the file when checkpointChanged() would report one. */
  assertCheckpointUnchanged(): void {
    const c = checkpointChange(this.#stamps);
    if (c) {
      throw new CheckpointError(
        'changed',
        c.path,
        `${c.what} since model ${this.info.name} was loaded from it, so its weights may no longer be the ones ` +
          `loaded (a checkpoint must not change while a model is loaded): load the model again`,
      );
    }
  }

  /** The native handle, for other native areas (tuner, targets). Throws once disposed. */
  get native(): NativeModel {
    if (!this.#native) throw new DisposedError(`model ${this.info.name}`);
    return this.#native;
  }

  get disposed(): boolean {
    return this.#native === undefined;
  }

  #check(a: ForwardInput, what: string, known: Record<string, true> = FORWARD_INPUT): void {
    // A misspelt positionIds would otherwise be dropped and the default positions used.
    refuseUnknownKeys(what, a, known, (m) => new ArgumentError(m), 'field');
    const { rows, positions } = a;
    checkCount(what, 'rows', rows, 1);
    checkCount(what, 'positions', positions, 1);
    if ((a.ids === undefined) === (a.embeds === undefined))
      throw new ArgumentError(
        `${what}: give exactly one of ids (token ids) or embeds (soft prompts), got ${a.ids === undefined ? 'neither' : 'both'}`,
      );
    if (a.ids !== undefined) {
      checkArray(what, 'ids', a.ids, Int32Array, rows * positions, 'rows×positions');
      const vocab = this.info.vocabSize;
      for (const id of a.ids) {
        if (id < 0 || id >= vocab)
          throw new ArgumentError(
            `${what}: token id ${id} in ids is outside the vocabulary [0, ${vocab}) of model ${this.info.name}: ` +
              `give ids of this model's tokenizer`,
          );
      }
    }
    if (a.embeds !== undefined)
      checkArray(
        what,
        'embeds',
        a.embeds,
        Float32Array,
        rows * positions * this.info.hiddenSize,
        'rows×positions×hidden',
      );
    if (a.positionIds !== undefined) {
      checkArray(what, 'positionIds', a.positionIds, Int32Array, rows * positions, 'rows×positions');
      // A rotary model reads a negative position without complaint (a learned table refuses it
      // natively, naming the table): a prompt no tokenizer makes.
      const negative = a.positionIds.find((p) => p < 0);
      if (negative !== undefined && this.info.config.position !== 'learned')
        throw new ArgumentError(`${what}: position id ${negative} is negative: give positions from 0`);
    }
  }

  /** klGradient's target: rows×vocab distributions, as an array or a tensor (on any device: it is moved to the model's). */
  #checkTarget(a: { rows: number; target: unknown }): void {
    const vocab = this.info.vocabSize;
    const t = a.target;
    if (t instanceof Float32Array) {
      checkArray('klGradient', 'target', t, Float32Array, a.rows * vocab, 'rows×vocab');
      // A NaN or negative target would give a KL of 0 or far below it, not an error: checked as tune() checks.
      checkTargetRows(t, vocab);
    } else if (typeof (t as NativeTensor | undefined)?.shape === 'function') {
      const rows = (t as NativeTensor).shape()[0];
      if (rows !== a.rows)
        throw new ArgumentError(`klGradient: target has ${rows} rows; expected rows = ${a.rows}: one target per row`);
      checkTargetTensor(t as NativeTensor, vocab);
    } else {
      throw new ArgumentError(
        `klGradient: target must be a Float32Array of rows×vocab = ${a.rows * vocab} values or a tensor ` +
          `(native().uploadTensor), got ${described(t)}`,
      );
    }
  }

  /** Logits at the LAST position only, rows×vocab (float32). */
  async logits(a: ForwardInput): Promise<Float32Array> {
    this.#check(a, 'logits');
    checkCallFits(this.info, 'logits', a, forwardBytes(this.info, a.rows, a.positions, this.info.vocabSize));
    const m = this.native;
    return withCallerStack('logits', () => m.logits(a));
  }

  /** Final hidden state (after the final norm) at the last position, rows×hidden. */
  async hidden(a: ForwardInput): Promise<Float32Array> {
    this.#check(a, 'hidden');
    checkCallFits(this.info, 'hidden', a, forwardBytes(this.info, a.rows, a.positions, this.info.hiddenSize));
    const m = this.native;
    return withCallerStack('hidden', () => m.hidden(a));
  }

  /** Input embeddings of token ids, rows×positions×hidden. */
  async embed(a: { ids: Int32Array; rows: number; positions: number }): Promise<Float32Array> {
    this.#check({ ...a }, 'embed', EMBED_INPUT);
    checkCallFits(this.info, 'embed', a, a.rows * a.positions * this.info.hiddenSize * 4 * 2);
    const m = this.native;
    return withCallerStack('embed', () => m.embed(a));
  }

  /**
   * Per-row KL(target || softmax(last logits)) in nats and its gradient w.r.t. the input
   * embeddings (of the sum over rows): the primitive for users writing their own search loop.
   */
  async klGradient(
    a: ForwardInput & { embeds: Float32Array; target: Float32Array | NativeTensor },
  ): Promise<{ klNats: Float32Array; gradEmbeds: Float32Array }> {
    this.#check(a, 'klGradient', { ...FORWARD_INPUT, target: true });
    if (a.embeds === undefined)
      throw new ArgumentError('klGradient: give embeds (soft prompts), not ids: model.embed turns ids into them');
    this.#checkTarget(a);
    // A forward and a backward: the tuner's memory for as many rows of one candidate.
    checkCallFits(this.info, 'klGradient', a, a.rows * bytesPerRow(this.info, a.positions, 1));
    const m = this.native;
    return withCallerStack('klGradient', () => m.klGradient(a));
  }

  /** the token embeddings' statistics, as the addon gives them (positionStd: a learned position table's) */
  embeddingStats(): ReturnType<NativeModel['embeddingStats']> {
    return this.native.embeddingStats();
  }

  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }
}
