// The Model users script against: a typed, promise-based wrapper over the native Transformer.
// Every method that touches weights runs on a worker thread; inputs are validated here first
// so that mistakes surface as clear errors before any native work is queued.
import { CheckpointError } from '../checkpoint/errors.js';
import type { FileStamp } from '../checkpoint/safetensors.js';
import { checkpointChange } from '../checkpoint/stamp.js';
import type { NativeModel, NativeTensor } from '../native/types-model.js';
import { refuseUnknownKeys } from '../spec/fields.js';
import { checkTargetRows, checkTargetTensor } from '../tune/targets-input.js';
import { bytesPerRow } from '../tune/batch-size.js';
import { DisposedError, withCallerStack } from './errors.js';
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
    refuseUnknownKeys(what, a, known, (m) => new TypeError(m), 'field');
    const { rows, positions } = a;
    if (!Number.isInteger(rows) || rows < 1)
      throw new RangeError(`${what}: rows must be a positive integer, got ${rows}`);
    if (!Number.isInteger(positions) || positions < 1)
      throw new RangeError(`${what}: positions must be a positive integer, got ${positions}`);
    if ((a.ids === undefined) === (a.embeds === undefined))
      throw new TypeError(`${what}: give exactly one of ids or embeds`);
    if (a.ids) {
      if (!(a.ids instanceof Int32Array)) throw new TypeError(`${what}: ids must be an Int32Array`);
      if (a.ids.length !== rows * positions)
        throw new RangeError(`${what}: ids has ${a.ids.length} values; expected rows×positions = ${rows * positions}`);
      for (const id of a.ids) {
        if (id < 0 || id >= this.info.vocabSize)
          throw new RangeError(`${what}: token id ${id} is outside the vocabulary [0, ${this.info.vocabSize})`);
      }
    }
    if (a.embeds) {
      if (!(a.embeds instanceof Float32Array)) throw new TypeError(`${what}: embeds must be a Float32Array`);
      const want = rows * positions * this.info.hiddenSize;
      if (a.embeds.length !== want)
        throw new RangeError(`${what}: embeds has ${a.embeds.length} values; expected rows×positions×hidden = ${want}`);
    }
    if (a.positionIds !== undefined) {
      if (!(a.positionIds instanceof Int32Array)) throw new TypeError(`${what}: positionIds must be an Int32Array`);
      if (a.positionIds.length !== rows * positions)
        throw new RangeError(`${what}: positionIds has ${a.positionIds.length} values; expected ${rows * positions}`);
      // A rotary model reads a negative position without complaint (a learned table refuses it
      // natively, naming the table): a prompt no tokenizer makes.
      const negative = a.positionIds.find((p) => p < 0);
      if (negative !== undefined && this.info.config.position !== 'learned')
        throw new RangeError(`${what}: position id ${negative} is negative`);
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
    this.#check({ ...a }, 'embed');
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
    if (a.target instanceof Float32Array && a.target.length !== a.rows * this.info.vocabSize) {
      throw new RangeError(
        `klGradient: target has ${a.target.length} values; expected rows×vocab = ${a.rows * this.info.vocabSize}`,
      );
    }
    // A NaN or negative target would give a KL of 0 or far below it, not an error: checked as tune() checks.
    if (a.target instanceof Float32Array) checkTargetRows(a.target, this.info.vocabSize);
    else if (typeof a.target?.shape === 'function') checkTargetTensor(a.target, this.info.vocabSize);
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
